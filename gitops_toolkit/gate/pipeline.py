"""The gate from end to end: each stage is a module; this one only passes their data along."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from gitops_toolkit.errors import ToolError
from gitops_toolkit.gate.catalog import Severity
from gitops_toolkit.gate.config import load_config
from gitops_toolkit.gate.crd_schemas import CrdSchemas
from gitops_toolkit.gate.discover import discover
from gitops_toolkit.gate.findings import Finding, unique_sorted
from gitops_toolkit.gate.guard import guard
from gitops_toolkit.gate.kubernetes_schemas import KubernetesSchemas
from gitops_toolkit.gate.kustomization import KustomizationIndex, kustomization_file
from gitops_toolkit.gate.parse import parse_rendering
from gitops_toolkit.gate.progress import Progress, SilentProgress
from gitops_toolkit.gate.render import RenderLimits, render_all
from gitops_toolkit.gate.resource import Resource
from gitops_toolkit.gate.rules import run_rules
from gitops_toolkit.gate.schema import SchemaCatalog, check_schemas
from gitops_toolkit.gate.secret_scan import scan_repository
from gitops_toolkit.gate.source_files import SourceFiles
from gitops_toolkit.versions import KUBERNETES_VERSION
from gitops_toolkit.yaml_safety import DEFAULT_LIMITS, YamlLimits

T = TypeVar("T")
R = TypeVar("R")

# What Argo CD deploys lives under these top-level folders.
SCAN_ROOTS = ("gitops-repo", "observability")


@dataclass(frozen=True)
class GateOptions:
    root: Path
    crd_dirs: tuple[Path, ...] = ()
    render: RenderLimits = field(default_factory=RenderLimits)
    yaml: YamlLimits = DEFAULT_LIMITS
    kubernetes_version: str = KUBERNETES_VERSION


@dataclass
class GateResult:
    findings: list[Finding]
    entries: list[str]
    resources: list[Resource]
    seconds: dict[str, float]

    @property
    def exit_code(self) -> int:
        return 1 if any(finding.severity is Severity.ERROR for finding in self.findings) else 0


def _timed_call(seconds: dict[str, float], stage: str, function: Callable[[T], R], argument: T) -> R:
    with _timed(seconds, stage):
        return function(argument)


@contextmanager
def _timed(seconds: dict[str, float], stage: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    seconds[stage] = time.perf_counter() - started


def run_gate(options: GateOptions, progress: Progress | None = None) -> GateResult:
    progress = progress or SilentProgress()
    try:
        return _run_stages(options, progress)
    finally:
        progress.close()


def _run_stages(options: GateOptions, progress: Progress) -> GateResult:
    root = options.root.resolve()
    roots = [root / name for name in SCAN_ROOTS if (root / name).is_dir()]
    if not roots:
        raise ToolError(f"{root} has none of {', '.join(SCAN_ROOTS)}; run from the repository root")
    seconds: dict[str, float] = {}
    findings: list[Finding] = []
    tree = SourceFiles(root, options.yaml)
    index = KustomizationIndex(tree.documents)

    config = load_config(root)

    def entry_file(entry: Path) -> str:
        return tree.relative(kustomization_file(entry) or entry)

    progress.stage("loading schemas")
    with _timed(seconds, "schemas"):
        kubernetes = KubernetesSchemas(options.kubernetes_version)
        catalog = SchemaCatalog(kubernetes, CrdSchemas(kubernetes))
        catalog.crds.add_directories(options.crd_dirs)

    progress.stage("discovering and guarding")
    with _timed(seconds, "discover"):
        discovery = discover(tree, index, roots)
    with _timed(seconds, "guard"):
        guarded = guard(tree, index, roots, discovery.entries)
    findings += discovery.findings + guarded.findings
    renderable = [entry for entry in discovery.entries if entry not in guarded.blocked]
    for entry in sorted(guarded.blocked):
        message = "not rendered until the guard findings in the files it uses are fixed"
        findings.append(Finding(entry_file(entry), 1, "RENDER-SKIPPED", message))

    progress.stage("rendering", total=len(renderable))
    # The secret scan reads every committable file; it runs while kubectl renders.
    with ThreadPoolExecutor(max_workers=1) as background, _timed(seconds, "render"):
        secret_scan = background.submit(_timed_call, seconds, "secrets", scan_repository, tree)
        renderings = render_all(renderable, options.render, progress.advance)

    progress.stage("checking")
    resources: list[Resource] = []
    with _timed(seconds, "parse"):
        for rendering in renderings:
            if rendering.failure_rule:
                message = rendering.failure.replace(f"{root}/", "")  # paths as a person sees them
                findings.append(Finding(entry_file(rendering.entry), 1, rendering.failure_rule, message))
                continue
            parsed, parse_findings = parse_rendering(rendering, tree, guarded.closures[rendering.entry])
            resources += parsed
            findings += parse_findings
    with _timed(seconds, "schema"):
        schema_findings, broken = check_schemas(resources, catalog)
    with _timed(seconds, "rules"):
        findings += schema_findings + run_rules(resources, config, broken)
    findings += secret_scan.result()
    entries = [tree.relative(entry) for entry in discovery.entries]
    return GateResult(unique_sorted(findings), entries, resources, seconds)
