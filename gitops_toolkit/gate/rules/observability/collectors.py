"""Collectors that run on every node (DaemonSets) but read cluster-wide sources: with Grafana Alloy,
`loki.source.kubernetes` tails every pod it is given through the API server, `loki.source.kubernetes_events`
reads every event and `prometheus.scrape` scrapes every target. Unless the component shares its targets with
`clustering { enabled = true }` or its discovery keeps only the node's own pods (a `spec.nodeName` field
selector), every node collects everything: N times the API load and N times the volume sent on."""

from __future__ import annotations

import re
from collections.abc import Iterator

from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.object_paths import pod_spec
from gitops_toolkit.gate.rules.index import ResourceIndex, namespace_of

_CLUSTER_WIDE_COMPONENTS = ("loki.source.kubernetes", "loki.source.kubernetes_events", "prometheus.scrape")
_BLOCK_START = re.compile(r'^\s*(?P<component>[a-z_.]+)\s+"[^"]*"\s*\{', re.MULTILINE)
_CLUSTERING_ON = re.compile(r"clustering\s*\{[^{}]*enabled\s*=\s*true", re.DOTALL)
_NODE_SCOPED = re.compile(r"spec\.nodeName\s*=")


def _blocks(config: str) -> Iterator[tuple[str, str]]:
    """(component, body) of every top-level Alloy block, braces matched (comments and strings are rare enough
    in block bodies to ignore)."""
    for match in _BLOCK_START.finditer(config):
        depth, end = 1, match.end()
        while depth and end < len(config):
            depth += {"{": 1, "}": -1}.get(config[end], 0)
            end += 1
        yield match.group("component"), config[match.end() : end]


def duplicated_components(config: str) -> list[str]:
    """Cluster-wide components of an Alloy configuration that every instance would run in full."""
    if _NODE_SCOPED.search(config):
        return []
    return [
        component
        for component, body in _blocks(config)
        if component in _CLUSTER_WIDE_COMPONENTS and not _CLUSTERING_ON.search(body)
    ]


def check_daemonset_collectors(index: ResourceIndex) -> Iterator[Finding]:
    for daemon_set in index.of_kind("DaemonSet"):
        found = pod_spec(daemon_set.obj)
        if found is None:
            continue
        spec, _ = found
        for volume in spec.get("volumes") or []:
            name = (volume.get("configMap") or {}).get("name") if isinstance(volume, dict) else None
            config_map = index.get("ConfigMap", namespace_of(daemon_set), str(name)) if name else None
            if config_map is None:
                continue
            for key, text in (config_map.obj.get("data") or {}).items():
                components = duplicated_components(str(text))
                if components:
                    yield daemon_set.finding(
                        "OBS-COLLECTOR-DUPLICATED",
                        f"runs on every node, and its configuration ({config_map.ref.name}/{key}) feeds "
                        f"{', '.join(sorted(set(components)))} from cluster-wide discovery without clustering: "
                        "every node collects everything; enable clustering (Alloy chart: `alloy.clustering.enabled: "
                        "true` and `clustering { enabled = true }` in the component), keep only the node's pods, "
                        "or run it as a Deployment",
                    )
