"""Which monitors a Prometheus actually loads: prometheus-operator gives each Prometheus only the
ServiceMonitors, PodMonitors, Probes and ScrapeConfigs its selectors pick (kube-prometheus-stack's, by
default, only those labelled `release: <its release>`). A monitor no Prometheus selects scrapes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.gate.rules.index import ResourceIndex, namespace_of, selector_matches
from gitops_toolkit.gate.rules.observability.metric_sources import MONITOR_KINDS

_GROUP = "monitoring.coreos.com"
# Monitor kind -> the Prometheus fields that select it and the namespaces it may live in.
_SELECTORS = {
    "ServiceMonitor": ("serviceMonitorSelector", "serviceMonitorNamespaceSelector"),
    "PodMonitor": ("podMonitorSelector", "podMonitorNamespaceSelector"),
    "Probe": ("probeSelector", "probeNamespaceSelector"),
    "ScrapeConfig": ("scrapeConfigSelector", "scrapeConfigNamespaceSelector"),
}


def _prometheuses(index: ResourceIndex) -> list[Resource]:
    return [p for p in index.all_of_kind("Prometheus") if p.api_group == _GROUP]


def _selects(index: ResourceIndex, prometheus: Resource, monitor: Resource) -> bool:
    """prometheus-operator's choice: a nil selector selects nothing, `{}` everything; a nil namespace selector
    means the Prometheus's own namespace only."""
    selector_field, namespace_field = _SELECTORS[monitor.kind]
    spec: dict[str, Any] = prometheus.obj["spec"] if isinstance(prometheus.obj.get("spec"), dict) else {}
    selector, namespaces = spec.get(selector_field), spec.get(namespace_field)
    if not isinstance(selector, dict):
        return False
    namespace = namespace_of(monitor)
    if namespaces is None:
        in_namespace = namespace == namespace_of(prometheus)
    else:
        in_namespace = selector_matches(namespaces, index.namespace_labels(namespace))
    labels = {str(k): str(v) for k, v in (monitor.metadata.get("labels") or {}).items()}
    return in_namespace and selector_matches(selector, labels)


def scraping_monitors(index: ResourceIndex) -> list[Resource]:
    """The monitors some Prometheus loads; all of them when no Prometheus is rendered here (nothing to tell)."""
    monitors = [m for m in index.all_of_kind(*MONITOR_KINDS) if m.api_group == _GROUP]
    prometheuses = _prometheuses(index)
    if not prometheuses:
        return monitors
    return [m for m in monitors if _unjudged(index, m) or any(_selects(index, p, m) for p in prometheuses)]


def _unjudged(index: ResourceIndex, monitor: Resource) -> bool:
    """Among manifests nothing names, which Prometheus a monitor is meant for is not known."""
    return monitor.entry in index.repository.unreferenced


def check_monitors_selected(index: ResourceIndex) -> Iterator[Finding]:
    prometheuses = _prometheuses(index)
    if not prometheuses:
        return
    names = ", ".join(sorted(f"{namespace_of(p)}/{p.ref.name}" for p in prometheuses))
    for monitor in index.of_kind(*MONITOR_KINDS):
        if _unjudged(index, monitor) or monitor.api_group != _GROUP:
            continue
        if not any(_selects(index, p, monitor) for p in prometheuses):
            selector_field, namespace_field = _SELECTORS[monitor.kind]
            yield monitor.finding(
                "OBS-MONITOR-UNSELECTED",
                f"no Prometheus ({names}) selects this {monitor.kind} through its {selector_field} and "
                f"{namespace_field}, so it scrapes nothing; give it the labels the selector asks for (for "
                "kube-prometheus-stack, `release: <release name>`) or widen the selector",
                ("metadata",),
            )
