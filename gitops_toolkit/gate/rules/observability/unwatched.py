"""Components whose metrics nothing scrapes. A pod that names a container port for metrics (`metrics`,
`http-metrics`, `prom-metrics`...) publishes its own health there; prometheus-operator scrapes it only when a
PodMonitor selects the pod and names that port, or a ServiceMonitor selects a Service that selects the pod and
whose port leads to it. When neither does, a failing component is silent: its queue drops, its pushes fail,
and only a crash would show."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.gate.rules.index import Container, PodTemplate, ResourceIndex, namespace_of, selector_matches
from gitops_toolkit.gate.rules.observability.monitor_selection import scraping_monitors

_WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")


def _metrics_ports(container: Container) -> list[Mapping[str, Any]]:
    return [port for port in container.ports() if "metrics" in str(port.get("name", "")).lower()]


def _in_namespaces(monitor: Resource, namespace: str) -> bool:
    """prometheus-operator's namespaceSelector: the monitor's own namespace unless it says `any` or names some."""
    selector = (monitor.obj.get("spec") or {}).get("namespaceSelector") or {}
    if selector.get("any") is True:
        return True
    names = selector.get("matchNames")
    return namespace in names if isinstance(names, list) and names else namespace == namespace_of(monitor)


def _endpoints(monitor: Resource, field: str) -> list[Mapping[str, Any]]:
    endpoints = (monitor.obj.get("spec") or {}).get(field)
    return [endpoint for endpoint in endpoints if isinstance(endpoint, dict)] if isinstance(endpoints, list) else []


def pod_monitor_scrapes(monitor: Resource, pod: PodTemplate, port: Mapping[str, Any]) -> bool:
    if not _in_namespaces(monitor, pod.namespace):
        return False
    if not selector_matches((monitor.obj.get("spec") or {}).get("selector") or {}, pod.labels):
        return False
    wanted = {str(port.get("name")), str(port.get("containerPort"))}
    return any(
        str(endpoint.get("port", endpoint.get("portNumber", endpoint.get("targetPort")))) in wanted
        for endpoint in _endpoints(monitor, "podMetricsEndpoints")
    )


def _service_leads_to(service: Resource, pod: PodTemplate, port: Mapping[str, Any], name: str) -> bool:
    """Whether the Service's port `name` (or number) selects the pod and ends at its container port."""
    spec = service.obj.get("spec") or {}
    selector = spec.get("selector")
    if not isinstance(selector, dict) or not selector or not selector_matches({"matchLabels": selector}, pod.labels):
        return False
    for service_port in spec.get("ports") or []:
        if not isinstance(service_port, dict) or name not in (
            str(service_port.get("name")),
            str(service_port.get("port")),
        ):
            continue
        target = str(service_port.get("targetPort", service_port.get("port")))
        if target in (str(port.get("name")), str(port.get("containerPort"))):
            return True
    return False


def service_monitor_scrapes(
    monitor: Resource, services: list[Resource], pod: PodTemplate, port: Mapping[str, Any]
) -> bool:
    selector = (monitor.obj.get("spec") or {}).get("selector") or {}
    for service in services:
        labels = {str(k): str(v) for k, v in (service.metadata.get("labels") or {}).items()}
        if namespace_of(service) != pod.namespace or not _in_namespaces(monitor, pod.namespace):
            continue
        if not selector_matches(selector, labels):
            continue
        for endpoint in _endpoints(monitor, "endpoints"):
            name = str(endpoint.get("port", endpoint.get("targetPort", "")))
            if _service_leads_to(service, pod, port, name):
                return True
    return False


def check_components_watched(index: ResourceIndex) -> Iterator[Finding]:
    if not index.all_of_kind("Prometheus"):
        return  # no Prometheus rendered here: what scrapes these pods is not known
    monitors = scraping_monitors(index)
    pod_monitors = [m for m in monitors if m.kind == "PodMonitor"]
    service_monitors = [m for m in monitors if m.kind == "ServiceMonitor"]
    services = index.all_of_kind("Service")
    for pod in index.pods:
        if pod.resource.kind not in _WORKLOADS or not index.repository.applications_of(pod.resource.entry):
            continue
        for container in pod.containers(include_init=False):
            for port in _metrics_ports(container):
                if any(pod_monitor_scrapes(m, pod, port) for m in pod_monitors) or any(
                    service_monitor_scrapes(m, services, pod, port) for m in service_monitors
                ):
                    continue
                yield pod.resource.finding(
                    "OBS-COMPONENT-UNWATCHED",
                    f"container `{container.name}` serves metrics on port `{port.get('name')}` "
                    f"({port.get('containerPort')}) and no ServiceMonitor or PodMonitor scrapes it, so its "
                    "failures stay silent: turn on its chart's monitor (usually `serviceMonitor.enabled`) or "
                    "add a PodMonitor for it",
                    (*container.path, "ports"),
                )
