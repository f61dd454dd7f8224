"""RBAC rules: what kube-apiserver's RBAC authorizer would grant, judged on rendered Roles and bindings. Each
rule passes on the narrow form a platform ships and fails on the broad one; an Application's suppression
reaches the chart output it deploys."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gitops_toolkit.core.resource import Resource
from tests.unit.test_gitops_rules import WIDGETS, Scene, rendered, scene

_RBAC = "rbac.authorization.k8s.io/v1"
_READ = ["get", "list", "watch"]


def cluster_role(name: str, rules: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"apiVersion": _RBAC, "kind": "ClusterRole", "metadata": {"name": name}, "rules": rules, **extra}


def binding(
    kind: str, name: str, role: tuple[str, str], subjects: list[dict[str, str]], namespace: str = ""
) -> dict[str, Any]:
    metadata = {"name": name, **({"namespace": namespace} if namespace else {})}
    reference = {"apiGroup": "rbac.authorization.k8s.io", "kind": role[0], "name": role[1]}
    return {"apiVersion": _RBAC, "kind": kind, "metadata": metadata, "roleRef": reference, "subjects": subjects}


def account(namespace: str, name: str = "reader") -> dict[str, str]:
    return {"kind": "ServiceAccount", "name": name, "namespace": namespace}


def with_objects(*objects: dict[str, Any]) -> Scene:
    s = scene()
    s.resources += [rendered(obj, WIDGETS) for obj in objects]
    return s


def reported(s: Scene, rule: str) -> set[tuple[str, str]]:
    return {(f.resource.kind, f.resource.name) for f in s.findings() if f.rule == rule}


_SECRETS_READ = [{"apiGroups": [""], "resources": ["secrets"], "verbs": _READ}]
Plant = Callable[[Scene], None]


def _add(*objects: dict[str, Any]) -> Plant:
    return lambda s: s.resources.extend(rendered(obj, WIDGETS) for obj in objects)


# rule -> (what plants the defect, kind and name of the resource reported)
RBAC_PLANTED: dict[str, tuple[Plant, str, str]] = {
    "RBAC-SECRETS-CLUSTER-WIDE": (
        _add(
            cluster_role("secret-reader", _SECRETS_READ),
            binding("ClusterRoleBinding", "widgets-secrets", ("ClusterRole", "secret-reader"), [account("widgets")]),
        ),
        "ClusterRoleBinding",
        "widgets-secrets",
    ),
    "RBAC-WILDCARD": (
        _add(cluster_role("widgets-all", [{"apiGroups": ["example.org"], "resources": ["*"], "verbs": _READ}])),
        "ClusterRole",
        "widgets-all",
    ),
    "RBAC-CLUSTER-ADMIN-BINDING": (
        _add(binding("ClusterRoleBinding", "widgets-admin", ("ClusterRole", "cluster-admin"), [account("widgets")])),
        "ClusterRoleBinding",
        "widgets-admin",
    ),
    "RBAC-ANONYMOUS": (
        _add(
            binding(
                "RoleBinding",
                "widgets-view",
                ("ClusterRole", "view"),
                [{"kind": "Group", "name": "system:unauthenticated", "apiGroup": "rbac.authorization.k8s.io"}],
                namespace="widgets",
            )
        ),
        "RoleBinding",
        "widgets-view",
    ),
}


@pytest.mark.parametrize("rule", sorted(RBAC_PLANTED))
def test_a_planted_rbac_defect_is_reported_on_its_resource(rule: str) -> None:
    plant, kind, name = RBAC_PLANTED[rule]
    s = scene()
    plant(s)
    assert reported(s, rule) == {(kind, name)}


def test_narrow_rbac_passes_every_rule() -> None:
    s = with_objects(
        # Secrets read in its own namespace only, through a ClusterRole bound by a RoleBinding
        cluster_role("secret-reader", _SECRETS_READ),
        binding("RoleBinding", "widgets-secrets", ("ClusterRole", "secret-reader"), [account("widgets")], "widgets"),
        # one named Secret everywhere: resourceNames limit the grant
        cluster_role(
            "one-secret", [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["ca"], "verbs": ["get"]}]
        ),
        binding("ClusterRoleBinding", "widgets-ca", ("ClusterRole", "one-secret"), [account("widgets")]),
        # the cluster's own controllers in kube-system
        binding("ClusterRoleBinding", "controller-secrets", ("ClusterRole", "secret-reader"), [account("kube-system")]),
        # a wildcard in a namespaced Role stays in its namespace
        {
            "apiVersion": _RBAC,
            "kind": "Role",
            "metadata": {"name": "widgets-own", "namespace": "widgets"},
            "rules": [{"apiGroups": ["example.org"], "resources": ["*"], "verbs": ["*"]}],
        },
        # the view role for everyone who signs in as a named group
        binding("ClusterRoleBinding", "team-view", ("ClusterRole", "view"), [{"kind": "Group", "name": "team"}]),
    )
    assert [f for f in s.findings() if f.rule.startswith("RBAC-")] == []


def test_secrets_granted_through_aggregation_or_a_built_in_role_are_seen() -> None:
    s = with_objects(
        cluster_role("widgets-aggregate", [], aggregationRule={"clusterRoleSelectors": [{"matchLabels": {"a": "1"}}]}),
        {**cluster_role("widgets-part", _SECRETS_READ), "metadata": {"name": "widgets-part", "labels": {"a": "1"}}},
        binding("ClusterRoleBinding", "via-aggregate", ("ClusterRole", "widgets-aggregate"), [account("widgets")]),
        binding("ClusterRoleBinding", "via-edit", ("ClusterRole", "edit"), [account("widgets", "editor")]),
        binding(
            "ClusterRoleBinding",
            "every-account",
            ("ClusterRole", "widgets-part"),
            [{"kind": "Group", "name": "system:serviceaccounts"}],
        ),
        # people (a group of users) are the cluster's admins' business, not a ServiceAccount's
        binding(
            "ClusterRoleBinding", "team-secrets", ("ClusterRole", "widgets-part"), [{"kind": "Group", "name": "t"}]
        ),
    )
    assert reported(s, "RBAC-SECRETS-CLUSTER-WIDE") == {
        ("ClusterRoleBinding", "via-aggregate"),
        ("ClusterRoleBinding", "via-edit"),
        ("ClusterRoleBinding", "every-account"),
    }


def _suppressed(value: str) -> Scene:
    s = scene()
    RBAC_PLANTED["RBAC-WILDCARD"][0](s)
    s.resources.append(
        rendered(cluster_role("widgets-other", [{"apiGroups": ["*"], "resources": ["w"], "verbs": _READ}]), WIDGETS)
    )
    annotations = s.obj("Application", "widgets")["metadata"].setdefault("annotations", {})
    annotations["gate.gitops-toolkit.io/suppress-RBAC-WILDCARD"] = value
    return s


def test_an_application_suppression_reaches_what_it_deploys() -> None:
    assert reported(_suppressed("the operator manages every kind of its group"), "RBAC-WILDCARD") == set()
    assert reported(_suppressed("ClusterRole/widgets-all: it manages every kind of its group"), "RBAC-WILDCARD") == {
        ("ClusterRole", "widgets-other")
    }


def test_an_application_suppression_does_not_reach_other_applications() -> None:
    s = _suppressed("the operator manages every kind of its group")
    s.resources.append(
        Resource(
            cluster_role("shop-all", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]),
            "gitops-repo/apps/shop",
            "gitops-repo/apps/shop/rbac.yaml",
            1,
        )
    )
    assert reported(s, "RBAC-WILDCARD") == {("ClusterRole", "shop-all")}
