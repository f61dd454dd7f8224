"""Capacity rules: the pods of every Application placed on the inventory's machines as kube-scheduler places them
by their requests. Each rule passes when the pods fit and fails when they do not, at the right Application."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.gate_settings import GateConfig
from gitops_toolkit.core.machines import ClusterShape, Machine
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.gate.rules.repository_facts import RepositoryFacts
from gitops_toolkit.gate.rules.rule_set import run_rules

GI = 2**30
INVENTORY = "platform/inventory.yaml"


def machine(name: str, cpus: int, memory_gib: int, *roles: str) -> Machine:
    return Machine(name, roles or ("worker",), cpus, memory_gib * GI, 1)


def application(name: str, wave: int = 0) -> Resource:
    obj = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": "argocd", "annotations": {"argocd.argoproj.io/sync-wave": str(wave)}},
    }
    return Resource(obj, "gitops-repo/root", f"gitops-repo/root/{name}.yaml", 1)


def workload(
    name: str, cpu: str, memory: str = "64Mi", replicas: int = 1, kind: str = "Deployment", **pod: Any
) -> dict[str, Any]:
    container = {"name": name, "image": "x", "resources": {"requests": {"cpu": cpu, "memory": memory}}}
    spec: dict[str, Any] = {
        "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [container], **pod}}
    }
    if kind != "DaemonSet":
        spec["replicas"] = replicas
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name, "namespace": "shop"}, "spec": spec}


def autoscaler(name: str, low: int, high: int) -> dict[str, Any]:
    target = {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    spec = {"scaleTargetRef": target, "minReplicas": low, "maxReplicas": high}
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": spec,
    }


def findings(
    deployed: dict[str, list[dict[str, Any]]], machines: list[Machine], waves: dict[str, int] | None = None
) -> list[Finding]:
    """Run the rules on Applications (name -> the objects it deploys) and a cluster of these machines."""
    resources = [application(name, (waves or {}).get(name, 0)) for name in deployed]
    for name, objects in deployed.items():
        for obj in objects:
            obj["metadata"]["namespace"] = name  # each Application its own namespace
            resources.append(Resource(obj, f"gitops-repo/{name}", f"gitops-repo/{name}/all.yaml", 1))
    facts = RepositoryFacts(
        owners={f"gitops-repo/{name}": (name,) for name in deployed},
        cluster=ClusterShape(tuple(machines), inventory=INVENTORY),
    )
    return [f for f in run_rules(resources, GateConfig(), repository=facts) if f.rule.startswith("CAPACITY-")]


CLUSTER = [machine("cp1", 2, 4, "control-plane"), machine("w1", 2, 4), machine("w2", 2, 4)]


def test_pods_that_fit_at_min_and_max_pass() -> None:
    shop = [workload("web", "500m", replicas=2), autoscaler("web", 2, 6), workload("api", "250m", "256Mi")]
    assert findings({"shop": shop}, CLUSTER) == []


def test_pods_past_the_workers_at_the_minimum_are_an_error_at_their_application() -> None:
    shop = [workload("web", "500m"), autoscaler("web", 8, 8)]
    [found] = findings({"shop": shop}, CLUSTER)
    assert (found.rule, found.path, str(found.resource)) == (
        "CAPACITY-REQUESTS",
        "gitops-repo/root/shop.yaml",
        "Application argocd/shop",
    )
    # each worker keeps 1.9 CPU beside one of kubeadm's two CoreDNS pods (100m): three pods of 500m each
    assert "2 of its 8 pods (1.00 CPU, 128 MiB) find no node" in found.message
    assert "w1, w2 have 0.80 CPU and" in found.message and "short by 0.20 CPU" in found.message
    assert INVENTORY in found.message and "Deployment shop/web 8 x 500m" in found.message


def test_pods_past_the_workers_only_at_the_maximum_are_a_warning() -> None:
    shop = [workload("web", "500m"), autoscaler("web", 2, 10)]
    assert [(f.rule, f.severity.value) for f in findings({"shop": shop}, CLUSTER)] == [("CAPACITY-AT-MAX", "warning")]


def test_a_tainted_control_plane_takes_only_pods_that_tolerate_it() -> None:
    cluster = [machine("cp1", 16, 32, "control-plane"), machine("w1", 1, 2)]
    plain = [workload("web", "800m", replicas=2)]
    tolerant = [workload("web", "800m", replicas=2, tolerations=[{"operator": "Exists"}])]
    assert [f.rule for f in findings({"shop": plain}, cluster)] == ["CAPACITY-REQUESTS"]
    assert findings({"shop": tolerant}, cluster) == []
    untainted = [machine("cp1", 16, 32, "control-plane", "worker"), machine("w1", 1, 2)]
    assert findings({"shop": plain}, untainted) == []


def test_a_daemonset_takes_its_request_on_every_node_it_runs_on() -> None:
    agent = workload("agent", "700m", kind="DaemonSet")
    assert findings({"shop": [agent, workload("web", "1", replicas=2)]}, CLUSTER) == []
    heavy = workload("agent", "1", kind="DaemonSet")
    assert [f.rule for f in findings({"shop": [heavy, workload("web", "1", replicas=2)]}, CLUSTER)] == [
        "CAPACITY-REQUESTS"
    ]


@pytest.mark.parametrize(
    ("resources", "failing"),
    [
        ({"limits": {"cpu": "3"}}, True),  # a limit without a request is the request
        ({"limits": {"memory": "64Mi"}}, False),
    ],
)
def test_the_request_is_the_limit_when_only_a_limit_is_set(resources: dict[str, Any], failing: bool) -> None:
    web = workload("web", "1")
    web["spec"]["template"]["spec"]["containers"][0]["resources"] = resources
    assert bool(findings({"shop": [web]}, CLUSTER)) is failing


def test_an_init_container_larger_than_the_pod_sets_its_request() -> None:
    init = {"name": "migrate", "image": "x", "resources": {"requests": {"cpu": "3"}}}
    assert [f.rule for f in findings({"shop": [workload("web", "100m", initContainers=[init])]}, CLUSTER)] == [
        "CAPACITY-REQUESTS"
    ]


def test_the_application_argo_cd_syncs_last_is_the_one_left_pending() -> None:
    deployed = {"prod": [workload("web", "1500m", replicas=2)], "dev": [workload("web", "1500m")]}
    assert [str(f.resource) for f in findings(deployed, CLUSTER, {"prod": 0, "dev": 1})] == ["Application argocd/dev"]
    assert [str(f.resource) for f in findings(deployed, CLUSTER, {"prod": 1, "dev": 0})] == ["Application argocd/prod"]


def test_no_inventory_no_capacity_check() -> None:
    assert findings({"shop": [workload("web", "64")]}, []) == []


# Each capacity rule and the test that plants its defect (tests/unit/test_rules.py wants every rule planted).
CAPACITY_PLANTED = {
    "CAPACITY-REQUESTS": test_pods_past_the_workers_at_the_minimum_are_an_error_at_their_application,
    "CAPACITY-AT-MAX": test_pods_past_the_workers_only_at_the_maximum_are_a_warning,
}
