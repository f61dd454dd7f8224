"""GITOPS-ROLLOUT-ROUTE-OWNERSHIP: a canary routed by the Gateway API plugin passes when its Application
ignores exactly the weights (and the scaled-down Deployment's replicas) with RespectIgnoreDifferences, and is
reported at that Application when it ignores less, or more."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gitops_toolkit.gate.rules.gitops.rollouts import PLUGIN_RULE, RULE
from tests.unit.test_gitops_rules import SHOP, Scene, rendered, scene

ROUTE_WEIGHTS = {
    "group": "gateway.networking.k8s.io",
    "kind": "HTTPRoute",
    "name": "web",
    "jsonPointers": ["/spec/rules/0/backendRefs/0/weight", "/spec/rules/0/backendRefs/1/weight"],
}


def canary_scene(**plugin: Any) -> Scene:
    s = scene()
    rollout = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "scaleDown": "onsuccess"},
            "strategy": {
                "canary": {
                    "stableService": "web",
                    "canaryService": "web-canary",
                    "trafficRouting": {"plugins": {"argoproj-labs/gatewayAPI": plugin or {"httpRoute": "web"}}},
                    "steps": [{"setWeight": 10}],
                }
            },
        },
    }
    backends = [{"name": "web", "port": 80, "weight": 100}, {"name": "web-canary", "port": 80, "weight": 0}]
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"rules": [{"backendRefs": backends}]},
    }
    s.resources += [rendered(rollout, SHOP), rendered(route, SHOP)]
    s.obj("Application", "shop")["spec"]["ignoreDifferences"].append(copy.deepcopy(ROUTE_WEIGHTS))
    return s


def ownership(s: Scene) -> list[str]:
    return [f"{f.resource.kind} {f.resource.name}: {f.message}" for f in s.findings() if f.rule == RULE]


def ignored(s: Scene) -> list[dict[str, Any]]:
    return s.obj("Application", "shop")["spec"]["ignoreDifferences"]  # type: ignore[no-any-return]


def test_exactly_the_weights_and_the_replicas_pass() -> None:
    assert ownership(canary_scene()) == []
    assert ownership(canary_scene(httpRoutes=[{"name": "web"}], namespace="shop")) == []
    s = canary_scene()
    ignored(s)[-1] = {"kind": "HTTPRoute", "jqPathExpressions": [".spec.rules[].backendRefs[].weight"]}
    assert ownership(s) == []


def without_route_entry(s: Scene) -> None:
    ignored(s).pop()


def one_weight_only(s: Scene) -> None:
    ignored(s)[-1]["jsonPointers"] = ["/spec/rules/0/backendRefs/0/weight"]


def the_whole_rules(s: Scene) -> None:
    ignored(s)[-1]["jsonPointers"].append("/spec/rules")


def a_field_manager(s: Scene) -> None:
    ignored(s)[-1]["managedFieldsManagers"] = ["rollouts-controller"]


def deployment_replicas_not_ignored(s: Scene) -> None:
    ignored(s).pop(0)


def no_respect(s: Scene) -> None:
    s.obj("Application", "shop")["spec"]["syncPolicy"]["syncOptions"] = []


@pytest.mark.parametrize(
    ("defect", "said"),
    [
        (without_route_entry, "ignore the weights the controller writes on HTTPRoute web"),
        (one_weight_only, "(/spec/rules/0/backendRefs/1/weight)"),
        (the_whole_rules, "it also ignores jsonPointer /spec/rules"),
        (a_field_manager, "it also ignores managedFieldsManagers rollouts-controller"),
        (deployment_replicas_not_ignored, "ignore /spec/replicas of Deployment web"),
        (no_respect, "add the sync option RespectIgnoreDifferences=true"),
    ],
)
def test_less_or_more_is_reported_at_the_application(defect: Any, said: str) -> None:
    s = canary_scene()
    defect(s)
    found = ownership(s)
    assert len(found) == 1 and found[0].startswith("Application shop: Rollout web routes its canary"), found
    assert said in found[0], found


def test_a_rollout_without_the_plugin_is_not_judged() -> None:
    s = canary_scene()
    without_route_entry(s)
    rollout = next(r.obj for r in s.resources if r.kind == "Rollout")
    rollout["spec"]["strategy"]["canary"].pop("trafficRouting")
    assert ownership(s) == []


def with_controller_config(s: Scene, plugins: str) -> Scene:
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "argo-rollouts-config", "namespace": "argo-rollouts"},
        "data": {"trafficRouterPlugins": plugins},
    }
    s.resources.append(rendered(config, SHOP))
    return s


def plugin_findings(s: Scene) -> list[str]:
    return [f"{f.resource.kind} {f.resource.name}: {f.message}" for f in s.findings() if f.rule == PLUGIN_RULE]


def test_a_plugin_the_controller_loads_passes_and_one_it_does_not_is_reported() -> None:
    assert plugin_findings(with_controller_config(canary_scene(), LOADED)) == []
    assert plugin_findings(canary_scene()) == []  # no controller configuration rendered: nothing to compare with
    found = plugin_findings(with_controller_config(canary_scene(), LOADED.replace("gatewayAPI", "gatewayapi")))
    assert found == [
        "Rollout web: traffic-router plugin argoproj-labs/gatewayAPI is not among those argo-rollouts-config loads "
        "(argoproj-labs/gatewayapi): add it to the chart's controller.trafficRouterPlugins, with its location and "
        "sha256"
    ]


LOADED = "- name: argoproj-labs/gatewayAPI\n  location: https://example.org/p\n  sha256: " + "0" * 64 + "\n"
# rule -> (what plants the defect on a passing canary, kind and name of the resource reported)
ROLLOUT_PLANTED: dict[str, tuple[Any, str, str]] = {
    RULE: (without_route_entry, "Application", "shop"),
    PLUGIN_RULE: (
        lambda s: s.obj("ConfigMap", "argo-rollouts-config")["data"].update(trafficRouterPlugins="[]"),
        "Rollout",
        "web",
    ),
}


@pytest.mark.parametrize("rule", sorted(ROLLOUT_PLANTED))
def test_a_planted_rollout_defect_is_reported_on_its_resource(rule: str) -> None:
    plant, kind, name = ROLLOUT_PLANTED[rule]
    s = with_controller_config(canary_scene(), LOADED)
    assert not [f for f in s.findings() if f.rule in ROLLOUT_PLANTED]
    plant(s)
    assert {(f.resource.kind, f.resource.name) for f in s.findings() if f.rule == rule} == {(kind, name)}
