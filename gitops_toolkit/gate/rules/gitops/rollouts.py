"""Argo CD and Argo Rollouts agree on who owns what. A canary routed by the Gateway API traffic-router plugin
has the controller write the HTTPRoute's backend weights (and, with `workloadRef` and a scale-down policy, the
replicas of the Deployment it runs). The Application deploying them must ignore exactly those fields and sync
with RespectIgnoreDifferences: without it auto-sync resets the weights mid-canary (and shows OutOfSync for
ever); ignoring more (the rules, the backendRefs list, a field manager) freezes the route against git. And the
plugin a Rollout names must be one the controller loads."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.object_paths import get_path, mapping
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.gate.rules.gitops.applications import argo_applications, ignores_replicas
from gitops_toolkit.gate.rules.index import ResourceIndex

RULE = "GITOPS-ROLLOUT-ROUTE-OWNERSHIP"
PLUGIN = "argoproj-labs/gatewayAPI"
_ROUTE_GROUP = "gateway.networking.k8s.io"
_WEIGHT_POINTER = re.compile(r"/spec/rules/(\d+)/backendRefs/(\d+)/weight")
_WEIGHT_JQ = re.compile(r"\.spec\.rules\[(\d*)\]\.backendRefs\[(\d*)\]\.weight")
_SCALES_DOWN = ("onsuccess", "progressively")  # workloadRef.scaleDown; "never" (the default) leaves it alone


_CANARY = ("spec", "strategy", "canary")
_PLUGINS = (*_CANARY, "trafficRouting", "plugins")


def _routes(rollout: Resource) -> list[tuple[str, str]]:
    """(namespace, name) of each HTTPRoute the plugin drives for this Rollout."""
    config = mapping(mapping(get_path(rollout.obj, _PLUGINS)).get(PLUGIN))
    namespace = str(config.get("namespace") or rollout.metadata.get("namespace", ""))
    names = [config["httpRoute"]] if isinstance(config.get("httpRoute"), str) else []
    names += [str(route.get("name")) for route in config.get("httpRoutes") or [] if isinstance(route, dict)]
    return [(namespace, name) for name in names]


def _weights(route: Resource, services: set[str]) -> set[tuple[int, int]]:
    """(rule, backend) positions of the backendRefs to the canary's and the stable's Services."""
    found = set()
    for i, rule in enumerate(get_path(route.obj, ("spec", "rules")) or []):
        for j, backend in enumerate(mapping(rule).get("backendRefs") or []):
            if mapping(backend).get("name") in services:
                found.add((i, j))
    return found


def _entries_for(application: Resource, kind: str, name: str) -> list[dict[str, Any]]:
    return [
        entry
        for entry in get_path(application.obj, ("spec", "ignoreDifferences")) or []
        if isinstance(entry, dict) and entry.get("kind") == kind and entry.get("name", name) == name
    ]


def _route_problems(application: Resource, route: Resource, weights: set[tuple[int, int]]) -> list[str]:
    covered: set[tuple[int, int]] = set()
    too_much: list[str] = []
    for entry in _entries_for(application, "HTTPRoute", route.ref.name):
        if entry.get("group", _ROUTE_GROUP) != _ROUTE_GROUP:
            continue
        for pointer in entry.get("jsonPointers") or []:
            if match := _WEIGHT_POINTER.fullmatch(str(pointer)):
                covered.add((int(match[1]), int(match[2])))
            else:
                too_much.append(f"jsonPointer {pointer}")
        for expression in entry.get("jqPathExpressions") or []:
            if match := _WEIGHT_JQ.fullmatch(str(expression).replace(" ", "")):
                covered |= {(i, j) for i, j in weights if match[1] in ("", str(i)) and match[2] in ("", str(j))}
            else:
                too_much.append(f"jqPathExpression {expression}")
        too_much += [f"managedFieldsManagers {manager}" for manager in entry.get("managedFieldsManagers") or []]
    problems = []
    if missing := sorted(weights - covered):
        pointers = ", ".join(f"/spec/rules/{i}/backendRefs/{j}/weight" for i, j in missing)
        problems.append(f"ignore the weights the controller writes on HTTPRoute {route.ref.name} ({pointers})")
    if too_much:
        problems.append(
            f"ignore no more than those weights on HTTPRoute {route.ref.name} (it also ignores "
            f"{', '.join(too_much)}: git's changes to them would never reach the route)"
        )
    return problems


def _workload_problems(application: Resource, rollout: Resource) -> list[str]:
    reference = mapping(get_path(rollout.obj, ("spec", "workloadRef")))
    if reference.get("scaleDown") not in _SCALES_DOWN:
        return []
    kind, name = str(reference.get("kind")), str(reference.get("name"))
    if ignores_replicas(application, kind, name):
        return []
    return [f"ignore /spec/replicas of {kind} {name}, which the Rollout scales down ({reference['scaleDown']})"]


def check_rollout_route_ownership(index: ResourceIndex) -> Iterator[Finding]:
    applications = {application.ref.name: application for application in argo_applications(index)}
    routes = {(str(route.metadata.get("namespace", "")), route.ref.name): route for route in index.of_kind("HTTPRoute")}
    for rollout in index.of_kind("Rollout"):
        canary = mapping(get_path(rollout.obj, _CANARY))
        services = {str(canary.get(key)) for key in ("stableService", "canaryService") if canary.get(key)}
        for key in _routes(rollout):
            route = routes.get(key)
            owners = index.repository.applications_of(route.entry) if route else ()
            application = applications.get(owners[0]) if owners else None
            if route is None or application is None:
                continue  # not deployed by an Argo CD Application this repository holds
            problems = _route_problems(application, route, _weights(route, services))
            if application.ref.name in index.repository.applications_of(rollout.entry):
                problems += _workload_problems(application, rollout)
            options = get_path(application.obj, ("spec", "syncPolicy", "syncOptions")) or []
            if "RespectIgnoreDifferences=true" not in options:
                problems.append("add the sync option RespectIgnoreDifferences=true, or a sync resets what it wrote")
            if problems:
                where = "ignoreDifferences" if "ignoreDifferences" in mapping(application.obj.get("spec")) else ""
                yield application.finding(
                    RULE,
                    f"Rollout {rollout.ref.name} routes its canary through {PLUGIN}, and Argo CD would fight the "
                    f"controller over what it writes: {'; '.join(problems)}",
                    ("spec", where) if where else ("spec",),
                )


PLUGIN_RULE = "GITOPS-ROLLOUT-PLUGIN"
_CONFIG_MAP = "argo-rollouts-config"  # the controller's configuration, where it learns which plugins to load


def _loaded_plugins(index: ResourceIndex) -> set[str] | None:
    """Names of the traffic-router plugins the controller's ConfigMap loads; None when no such ConfigMap is
    rendered (the controller is deployed from elsewhere: nothing to compare with)."""
    configs = [resource for resource in index.of_kind("ConfigMap") if resource.ref.name == _CONFIG_MAP]
    if not configs:
        return None
    names: set[str] = set()
    for config in configs:
        try:
            entries = yaml.safe_load(str(mapping(config.obj.get("data")).get("trafficRouterPlugins") or "[]"))
        except yaml.YAMLError:
            continue  # a ConfigMap the controller cannot read either; the schema of its data is not ours to judge
        names |= {str(entry.get("name")) for entry in entries or [] if isinstance(entry, dict)}
    return names


def check_rollout_plugins_loaded(index: ResourceIndex) -> Iterator[Finding]:
    """Argo Rollouts resolves a Rollout's traffic-router plugin by name among those its ConfigMap loads; one it
    does not load leaves the Rollout in error, and no traffic moves."""
    loaded = _loaded_plugins(index)
    if loaded is None:
        return
    for rollout in index.of_kind("Rollout"):
        for name in sorted(set(mapping(get_path(rollout.obj, _PLUGINS))) - loaded):
            yield rollout.finding(
                PLUGIN_RULE,
                f"traffic-router plugin {name} is not among those {_CONFIG_MAP} loads "
                f"({', '.join(sorted(loaded)) or 'none'}): add it to the chart's controller.trafficRouterPlugins, "
                "with its location and sha256",
                _PLUGINS,
            )
