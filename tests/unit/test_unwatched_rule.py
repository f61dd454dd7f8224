"""OBS-COMPONENT-UNWATCHED: a deployed pod that serves metrics on a named port is scraped by a PodMonitor or a
ServiceMonitor (through a Service that leads to that port), as prometheus-operator builds its targets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.unit.test_gitops_rules import WIDGETS, Scene, rendered, scene

_MONITORING = "monitoring.coreos.com/v1"


def prometheus() -> dict[str, Any]:
    spec = {selector: {} for selector in ("podMonitorSelector", "serviceMonitorSelector")}
    spec |= {selector: {} for selector in ("podMonitorNamespaceSelector", "serviceMonitorNamespaceSelector")}
    return {
        "apiVersion": _MONITORING,
        "kind": "Prometheus",
        "metadata": {"name": "k8s", "namespace": "monitoring"},
        "spec": spec,
    }


def controller(port_name: str = "metrics") -> dict[str, Any]:
    container = {"name": "manager", "image": "x", "ports": [{"name": port_name, "containerPort": 8080}]}
    template = {"metadata": {"labels": {"app": "widget-operator"}}, "spec": {"containers": [container]}}
    spec = {"selector": {"matchLabels": {"app": "widget-operator"}}, "template": template}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "widget-operator", "namespace": "widgets"},
        "spec": spec,
    }


def pod_monitor(port: str = "metrics", namespaces: list[str] | None = None) -> dict[str, Any]:
    spec = {
        "namespaceSelector": {"matchNames": namespaces or ["widgets"]},
        "selector": {"matchLabels": {"app": "widget-operator"}},
        "podMetricsEndpoints": [{"port": port}],
    }
    return {
        "apiVersion": _MONITORING,
        "kind": "PodMonitor",
        "metadata": {"name": "widgets", "namespace": "monitoring"},
        "spec": spec,
    }


def service(target: str = "metrics") -> dict[str, Any]:
    spec = {
        "selector": {"app": "widget-operator"},
        "ports": [{"name": "http-metrics", "port": 80, "targetPort": target}],
    }
    metadata = {"name": "widget-operator", "namespace": "widgets", "labels": {"app": "widget-operator"}}
    return {"apiVersion": "v1", "kind": "Service", "metadata": metadata, "spec": spec}


def service_monitor() -> dict[str, Any]:
    spec = {"selector": {"matchLabels": {"app": "widget-operator"}}, "endpoints": [{"port": "http-metrics"}]}
    return {
        "apiVersion": _MONITORING,
        "kind": "ServiceMonitor",
        "metadata": {"name": "widgets", "namespace": "widgets"},
        "spec": spec,
    }


def unwatched(*objects: dict[str, Any]) -> list[str]:
    s = scene()
    s.resources += [rendered(obj, WIDGETS) for obj in objects]
    return [str(f.resource) for f in s.findings() if f.rule == "OBS-COMPONENT-UNWATCHED"]


def _plant_unscraped(s: Scene) -> None:
    s.resources += [rendered(prometheus(), WIDGETS), rendered(controller(), WIDGETS)]


UNWATCHED_PLANTED: dict[str, Callable[[Scene], None]] = {"OBS-COMPONENT-UNWATCHED": _plant_unscraped}

_REPORTED = ["Deployment widgets/widget-operator"]


@pytest.mark.parametrize(
    ("objects", "reported"),
    [
        ((prometheus(), controller()), _REPORTED),
        ((prometheus(), controller(), pod_monitor()), []),
        ((prometheus(), controller(), pod_monitor(port="health")), _REPORTED),  # another port
        ((prometheus(), controller(), pod_monitor(namespaces=["elsewhere"])), _REPORTED),
        ((prometheus(), controller(), service(), service_monitor()), []),
        ((prometheus(), controller(), service(target="8080"), service_monitor()), []),  # targetPort by number
        ((prometheus(), controller(), service(target="http"), service_monitor()), _REPORTED),
        ((prometheus(), controller(port_name="http")), []),  # no metrics port: nothing to watch
        ((controller(),), []),  # no Prometheus rendered here: who scrapes is not known
    ],
)
def test_a_metrics_port_is_scraped_by_some_monitor(objects: tuple[dict[str, Any], ...], reported: list[str]) -> None:
    assert unwatched(*objects) == reported


def test_a_planted_unwatched_component_is_reported() -> None:
    s = scene()
    UNWATCHED_PLANTED["OBS-COMPONENT-UNWATCHED"](s)
    found = [f for f in s.findings() if f.rule == "OBS-COMPONENT-UNWATCHED"]
    assert [(f.severity.value, f.message.split(" and no")[0]) for f in found] == [
        ("warning", "container `manager` serves metrics on port `metrics` (8080)")
    ]
