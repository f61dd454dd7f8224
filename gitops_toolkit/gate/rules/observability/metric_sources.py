"""Which metrics the repository's alerts and dashboards need, and whether anything scrapes their source.

A PromQL expression names metrics; a metric's source is known by its prefix (`argocd_`, `envoy_`, `node_`):
the exporter that publishes it. A prefix counts as scraped when a ServiceMonitor, PodMonitor, Probe or
ScrapeConfig names that exporter (in its name, its job label, its selector or its endpoints' ports). Metrics
Prometheus makes itself (`up`, `ALERTS`, `scrape_*`) and those a recording rule records need no scrape."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from gitops_toolkit.core.resource import Resource

MONITOR_KINDS = ("ServiceMonitor", "PodMonitor", "Probe", "ScrapeConfig")
_MONITORING_GROUP = "monitoring.coreos.com"

# Metric prefix -> words one of which a monitor of its exporter names (the longest prefix listed wins).
# Unlisted prefixes use themselves.
EXPORTERS: dict[str, tuple[str, ...]] = {
    "node": ("node-exporter",),
    "kube": ("kube-state-metrics",),
    "container": ("kubelet", "cadvisor"),
    "kubelet": ("kubelet",),
    "machine": ("kubelet", "cadvisor"),
    "storage": ("kubelet", "apiserver"),
    "volume": ("kubelet",),
    "apiserver": ("apiserver",),
    "aggregator": ("apiserver",),
    "etcd": ("etcd",),
    "kubeproxy": ("kube-proxy",),
    "scheduler": ("scheduler",),
    "workqueue": ("apiserver", "controller-manager", "kubelet"),
    "rest": ("apiserver", "controller-manager", "kubelet", "scheduler"),
    "coredns": ("coredns", "kube-dns"),
    "prometheus": ("prometheus",),
    "alertmanager": ("alertmanager",),
    "grafana": ("grafana",),
    "argocd": ("argocd", "argo-cd"),
    "argocd_app": ("application-controller",),  # the Applications' state: the application controller alone
    "envoy": ("envoy",),
    "loki": ("loki",),
    "tempo": ("tempo",),
    "alloy": ("alloy",),
    # Argo Rollouts' controller: its Rollouts' and its analysis runs' state.
    "rollout": ("argo-rollouts",),
    "analysis": ("argo-rollouts",),
    # Envoy Gateway's controller names its metrics after its parts, not itself.
    "resource": ("envoy-gateway",),
    "xds": ("envoy-gateway",),
    "status": ("envoy-gateway",),
}
# Published by every kind of process: they say nothing about which exporter is meant.
_GENERIC_PREFIXES = {"process", "go", "http", "grpc", "rpc", "net", "promhttp", "otel", "otelcol"}
# Made by Prometheus itself, without a scrape of its own.
_BUILT_IN = {"up", "ALERTS", "ALERTS_FOR_STATE", "scrape", "time", "vector", "scalar"}

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_COMMENT = re.compile(r"#[^\n]*")
_BRACES = re.compile(r"\{[^{}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", re.IGNORECASE)
_IDENTIFIER = re.compile(r"(?<![\w:.])([A-Za-z_:][A-Za-z0-9_:]*)(?![\w:])(\s*\()?")
_KEYWORDS = {
    "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right",
    "inf", "nan", "atan2", "start", "end",
}  # fmt: skip


def metric_names(expr: str) -> set[str]:
    """Metric names an expression selects (not functions, labels, keywords or durations)."""
    text = _STRING.sub('""', expr)
    text = _COMMENT.sub("", text)
    text = _BRACES.sub("", text)
    text = _RANGES.sub("", text)
    text = _GROUPING.sub("", text)
    names = set()
    for match in _IDENTIFIER.finditer(text):
        name, call = match.group(1), match.group(2)
        if call or name.lower() in _KEYWORDS or re.fullmatch(r"\d.*", name):
            continue
        names.add(name)
    return names


def prefix_of(metric: str) -> str:
    """`node` of `node_cpu_seconds_total`; lower-cased, as monitors' words are (`DCGM_FI_DEV_GPU_UTIL`: dcgm)."""
    return metric.split("_", 1)[0].lower()


def exporters_of(metric: str) -> tuple[str, ...]:
    """The words a monitor of the metric's exporter names: those of its longest listed prefix."""
    parts = metric.lower().split("_")
    for end in range(len(parts) - 1, 1, -1):
        if (longer := "_".join(parts[:end])) in EXPORTERS:
            return EXPORTERS[longer]
    prefix = prefix_of(metric)
    return EXPORTERS.get(prefix, (prefix,))


def recorded_metrics(rules: Iterable[Resource]) -> set[str]:
    return {
        str(body["record"])
        for rule in rules
        for group in (rule.obj.get("spec") or {}).get("groups") or []
        if isinstance(group, dict)
        for body in group.get("rules") or []
        if isinstance(body, dict) and body.get("record")
    }


def _words(value: Any) -> Iterator[str]:
    """Every string inside a monitor's name, job label, selector and endpoints, lower-cased."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield str(key).lower()
            yield from _words(child)
    elif isinstance(value, list):
        for child in value:
            yield from _words(child)
    elif value is not None:
        yield str(value).lower()


def scraped_words(resources: Iterable[Resource]) -> list[str]:
    """What the repository's monitors name: the text a metric prefix's exporter must appear in."""
    words: list[str] = []
    for monitor in resources:
        if monitor.kind in MONITOR_KINDS and monitor.api_group == _MONITORING_GROUP:
            spec = monitor.obj.get("spec") or {}
            words.append(monitor.ref.name.lower())
            words += _words(
                {key: spec.get(key) for key in ("jobLabel", "jobName", "selector", "endpoints", "podMetricsEndpoints")}
            )
            words += _words(spec.get("staticConfigs") or spec.get("targets"))
    return words


def unscraped(metrics: set[str], words: list[str], recorded: set[str]) -> list[str]:
    """The metrics among `metrics` whose exporter no monitor names."""
    missing = []
    for metric in sorted(metrics):
        prefix = prefix_of(metric)
        if metric in recorded or metric in _BUILT_IN or prefix in _BUILT_IN or prefix in _GENERIC_PREFIXES:
            continue
        if ":" in metric:
            continue  # a recording-rule name this repository does not record: promtool's domain
        exporters = exporters_of(metric)
        if not any(exporter in word for exporter in exporters for word in words):
            missing.append(metric)
    return missing
