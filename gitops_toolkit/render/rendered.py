"""What the render layer hands its users: the options of a run, a checkout opened for rendering, and what Argo CD
would apply from it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.gate_settings import GateConfig
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.core.versions import KUBERNETES_VERSION
from gitops_toolkit.render.charts.releases import ChartRelease
from gitops_toolkit.render.charts.rendering import FactsByArchive
from gitops_toolkit.render.charts.vendored import VendoredCharts
from gitops_toolkit.render.crds.vendored import VendoredCrds
from gitops_toolkit.render.kustomize import RenderLimits
from gitops_toolkit.render.read.kustomization import KustomizationIndex
from gitops_toolkit.render.read.source_files import SourceFiles
from gitops_toolkit.tools.helm_engine import ChartFacts

# Status of a repository path an Application deploys.
RENDERED = "rendered"
FAILED = "does not render (see the RENDER- or GUARD- findings of that directory)"
MISSING = "does not exist in this repository"
COMPONENT = "is a kustomize Component, which cannot be deployed on its own"
HELM_CHART = "is a Helm chart (not rendered by the gate yet)"
REMOTE = "names a remote resource, which Argo CD fetches and the gate, offline, does not"

# What leaves part of what Argo CD would deploy out of a rendering: kustomize or Helm failed, a chart is not locked
# or does not match its lock, or the guard kept an entry point from rendering. A remote resource is not among them:
# Argo CD fetches it, and every rendering leaves it out alike.
_LEAVES_OUT = frozenset(
    {
        "RENDER-FAILED",
        "RENDER-TIMEOUT",
        "RENDER-MEMORY-LIMIT",
        "RENDER-SKIPPED",
        "CHART-RENDER-FAILED",
        "CHART-NOT-LOCKED",
        "CHART-LOCK-MISMATCH",
        "CHART-LOCK-INVALID",
    }
)


@dataclass(frozen=True)
class RenderOptions:
    limits: RenderLimits = field(default_factory=RenderLimits)
    kubernetes_version: str = KUBERNETES_VERSION
    helm_binary: Path | None = None  # None: Helm's engine in-process (helm-python-sdk)
    # What the vendored charts declare, read beside rendering (gate/beside.py); None: read when the charts render.
    chart_facts: Callable[[], FactsByArchive] | None = None


@dataclass
class Repository:
    """A checkout opened for rendering: each file read once and shared by every stage."""

    root: Path
    roots: list[Path]  # the folders searched for entry points
    config: GateConfig
    tree: SourceFiles
    kustomizations: KustomizationIndex
    crds: VendoredCrds
    charts: VendoredCharts
    entries: list[Path]  # kustomizations no other one uses
    cyclic: frozenset[Path]  # directories on a cycle of kustomizations
    findings: list[Finding]  # the pinned inputs' and the discovery's


@dataclass
class Rendered:
    """What Argo CD would apply, and what stopped any of it from rendering."""

    entries: list[Path] = field(default_factory=list)  # kustomizations rendered, or skipped for a guard finding
    resources: list[Resource] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    path_status: dict[str, str] = field(default_factory=dict)  # each repository path an Application deploys
    releases: list[ChartRelease] = field(default_factory=list)
    chart_facts: dict[Path, ChartFacts] = field(default_factory=dict)  # by archive, for the charts that loaded
    object_files: set[Path] = field(default_factory=set)  # the files kustomize loads as objects
    unreferenced: set[str] = field(default_factory=set)  # entries of manifests nothing names (unreferenced.py)
    seconds: dict[str, float] = field(default_factory=dict)
    # entry points kustomize ran for, and why (the rest came from the cache); what each entry's closure reads
    rerendered: dict[Path, str] = field(default_factory=dict)
    read_files: dict[Path, frozenset[str]] = field(default_factory=dict)
    closure_keys: dict[str, str] = field(default_factory=dict)  # entry (relative) -> digest of all it reads

    def left_out(self, repository: Repository) -> list[Finding]:
        """The findings that mean something Argo CD would deploy is missing from `resources`."""
        remote = {path for path, status in self.path_status.items() if status == REMOTE}

        def remote_skip(finding: Finding) -> bool:
            return finding.rule == "RENDER-SKIPPED" and Path(finding.path).parent.as_posix() in remote

        found = repository.findings + self.findings
        return [finding for finding in found if finding.rule in _LEAVES_OUT and not remote_skip(finding)]
