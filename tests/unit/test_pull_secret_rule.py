"""IMAGE-PULL-SECRET: a pod pulling from the inventory's platform registry (GitLab's, which refuses anonymous pulls
of its private projects) names a pull Secret, itself or through its ServiceAccount, as the kubelet pulls."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_toolkit.core.bounded_yaml import load_yaml_text
from gitops_toolkit.core.gate_settings import GateConfig
from gitops_toolkit.core.machines import ClusterShape, platform_registry_of
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.gate.rules.repository_facts import RepositoryFacts
from gitops_toolkit.gate.rules.rule_set import run_rules
from tests.conftest import REPOSITORY

REGISTRY = "registry.local:5050"
PULL_PLANTED = {"IMAGE-PULL-SECRET"}


def deployment(image: str, **pod: Any) -> dict[str, Any]:
    container = {"name": "web", "image": image}
    spec = {"serviceAccountName": "web", "containers": [container], **pod}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": spec}},
    }


def account(**fields: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "web", "namespace": "shop"}, **fields}


def found(objects: list[dict[str, Any]], registry: str = REGISTRY) -> list[tuple[str, str]]:
    resources = [Resource(obj, "gitops-repo/shop", "gitops-repo/shop/app.yaml", 1) for obj in objects]
    facts = RepositoryFacts(cluster=ClusterShape((), platform_registry=registry))
    return [
        (f.rule, f.resource.kind)
        for f in run_rules(resources, GateConfig(), repository=facts)
        if f.rule == "IMAGE-PULL-SECRET"
    ]


OURS = f"{REGISTRY}/platform/app-repo/web:{'a' * 40}"


@pytest.mark.parametrize(
    "objects",
    [
        [deployment(OURS, imagePullSecrets=[{"name": "registry-pull"}]), account()],
        [deployment(OURS), account(imagePullSecrets=[{"name": "registry-pull"}])],
        [deployment("us-central1-docker.pkg.dev/online-boutique-ci/microservices-demo/web:v0.10.6"), account()],
        [deployment("registry.local/platform/app-repo/web:1.0"), account()],  # another port: another registry
    ],
    ids=["pod-names-one", "service-account-names-one", "public-image", "same-host-other-port"],
)
def test_pulls_with_a_credential_or_from_elsewhere_pass(objects: list[dict[str, Any]]) -> None:
    assert found(objects) == []


def test_a_pull_from_the_platform_registry_without_a_credential_is_an_error() -> None:
    assert found([deployment(OURS), account()]) == [("IMAGE-PULL-SECRET", "Deployment")]
    assert found([deployment(OURS, imagePullSecrets=[{}]), account()]) == [("IMAGE-PULL-SECRET", "Deployment")]


def test_without_a_platform_host_the_rule_says_nothing() -> None:
    assert found([deployment(OURS), account()], registry="") == []


def test_the_registry_is_read_from_the_inventory_with_its_defaults() -> None:
    def registry(text: str) -> str:
        return platform_registry_of(load_yaml_text(text)[0])

    hosts = "hosts:\n  - {name: gitlab, roles: [platform]}\n  - {name: cp1, roles: [control-plane]}\n"
    assert registry(hosts) == REGISTRY
    assert registry(hosts + "platform: {domain: lab.example, registryPort: 5443}\n") == "registry.lab.example:5443"
    assert registry("hosts:\n  - {name: cp1, roles: [control-plane]}\n") == ""


def test_the_example_inventory_names_the_registry_the_shop_pulls_from() -> None:
    text = (REPOSITORY / "platform" / "inventory.example.yaml").read_text(encoding="utf-8")
    assert platform_registry_of(load_yaml_text(text)[0]) == REGISTRY
