"""The chart releases the Applications pin: each Application source with `chart:`, paired with its vendored
archive (verified against the lock) and its values, with what Helm needs to render it as Argo CD does."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.render.applications import Source, chart_entry, destination_namespace, sources
from gitops_toolkit.render.charts.lock import LOCK_FILE, LockedChart
from gitops_toolkit.render.charts.values import UnreadableValues, ValuesLayer, deep_merge, values_layers
from gitops_toolkit.render.charts.vendored import VendoredCharts
from gitops_toolkit.render.crds.crd_text import served_api_versions
from gitops_toolkit.render.read.source_files import SourceFiles
from gitops_toolkit.tools.helm import RenderRequest
from gitops_toolkit.tools.helm_engine import HelmError


@dataclass(frozen=True)
class ChartRelease:
    """One Application source that installs a chart, with everything its render needs."""

    application: Resource
    source: Source
    locked: LockedChart
    archive: Path
    layers: tuple[ValuesLayer, ...]

    @property
    def entry(self) -> str:
        return chart_entry(self.application, self.source)

    @property
    def release_name(self) -> str:
        return str((self.source.body.get("helm") or {}).get("releaseName") or self.application.ref.name)

    @property
    def namespace(self) -> str:
        return destination_namespace(self.application) or "default"

    @property
    def include_crds(self) -> bool:
        return (self.source.body.get("helm") or {}).get("skipCrds") is not True

    @property
    def values(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for layer in self.layers:
            merged = deep_merge(merged, copy.deepcopy(layer.data))
        return merged

    def request(self, kube_version: str, api_versions: tuple[str, ...]) -> RenderRequest:
        """What Helm renders for this release on a cluster of that version serving those API versions."""
        return RenderRequest(
            self.archive,
            self.values,
            self.release_name,
            self.namespace,
            kube_version,
            api_versions,
            self.include_crds,
        )

    @property
    def chart_line(self) -> tuple[str, int]:
        """The Application's `chart:` line: where a finding no values file explains is reported."""
        return self.application.path, self.application.line_at((*self.source.path_in_manifest, "chart"))

    def where(self, key_path: tuple[str | int, ...]) -> tuple[str, int]:
        """The file and line that set `key_path` last, else the Application's `chart:` line."""
        for layer in reversed(self.layers):
            if key_path and layer.sets(key_path):
                return layer.where, layer.line_of(key_path)
        return self.chart_line

    def finding(self, rule: str, message: str, key_path: tuple[str | int, ...] = ()) -> Finding:
        path, line = self.where(key_path)
        return Finding(path, line, rule, message, self.application.ref)


def api_versions_served(crd_texts: Iterator[str]) -> tuple[str, ...]:
    versions: set[str] = set()
    for text in crd_texts:
        versions |= served_api_versions(text)
    return tuple(sorted(versions))


def chart_releases(
    applications: list[Resource], vendored: VendoredCharts, tree: SourceFiles, root: Path
) -> tuple[list[ChartRelease], list[Finding]]:
    """Every Application source that installs a chart, paired with its verified archive and values."""
    releases: list[ChartRelease] = []
    findings: list[Finding] = []
    for application in applications:
        for source in sources(application):
            if not source.chart:
                continue
            locked = vendored.locked(source.repo_url, source.chart, source.revision)
            if locked is None:
                findings.append(
                    application.finding(
                        "CHART-NOT-LOCKED",
                        f"chart {source.chart} {source.revision} from {source.repo_url} is not in {LOCK_FILE}, so "
                        "what it deploys is neither rendered nor checked; run `invoke charts.fetch` to vendor it",
                        (*source.path_in_manifest, "chart"),
                    )
                )
                continue
            if locked not in vendored.verified:
                continue  # CHART-LOCK-MISMATCH says why
            try:
                layers = values_layers(source, tree, root)
            except UnreadableValues as error:
                message = f"chart {source.chart} is not rendered until the guard findings in {error} are fixed"
                findings.append(application.finding("RENDER-SKIPPED", message, (*source.path_in_manifest, "chart")))
                continue
            except HelmError as error:
                where = (*source.path_in_manifest, "helm")
                findings.append(application.finding("CHART-RENDER-FAILED", str(error), where))
                continue
            releases.append(ChartRelease(application, source, locked, root / locked.path, layers))
    return releases, findings
