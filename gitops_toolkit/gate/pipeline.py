"""The gate from end to end: each stage is a module; this one only passes their data along."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from gitops_toolkit.core.bounded_yaml import DEFAULT_LIMITS, YamlDocument, YamlLimits
from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.core.findings import Finding, contained, unique_sorted
from gitops_toolkit.core.gate_settings import GateConfig, load_config
from gitops_toolkit.core.progress import Progress, SilentProgress
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.core.rule_catalog import Severity
from gitops_toolkit.core.versions import KUBERNETES_VERSION
from gitops_toolkit.gate.report.coverage import flux_objects, nothing_found
from gitops_toolkit.gate.rules import repository_facts
from gitops_toolkit.gate.rules.ci_files import check_ci_files
from gitops_toolkit.gate.rules.kubeadm_config import opened_components
from gitops_toolkit.gate.rules.observability.alertmanager import check_alertmanager
from gitops_toolkit.gate.rules.observability.grafana import (
    Datasource,
    deep_merge,
    from_config_maps,
    from_kube_prometheus_stack,
)
from gitops_toolkit.gate.rules.observability.promql import check_promql
from gitops_toolkit.gate.rules.repository_facts import RepositoryFacts
from gitops_toolkit.gate.rules.rule_set import run_rules
from gitops_toolkit.gate.rules.secret_scan import scan_repository
from gitops_toolkit.gate.rules.source_duplicates import source_duplicates
from gitops_toolkit.gate.schema.crd_schemas import CrdSchemas
from gitops_toolkit.gate.schema.kubernetes_schemas import KubernetesSchemas
from gitops_toolkit.gate.schema.validate import SchemaCatalog, check_schemas
from gitops_toolkit.render.applications import (
    Source,
    deployed_entries,
    embedded_objects,
    is_application,
    repository_paths,
    sources,
    values_file,
)
from gitops_toolkit.render.charts.releases import ChartRelease, chart_releases
from gitops_toolkit.render.charts.rendering import check_and_render
from gitops_toolkit.render.charts.vendored import VendoredCharts, verify_vendored_charts
from gitops_toolkit.render.crds.lock import VENDORED_DIRECTORY, LockedCrd
from gitops_toolkit.render.crds.vendored import VendoredCrds, verify_vendored_crds
from gitops_toolkit.render.deployment import deployed_sets
from gitops_toolkit.render.kustomize import RenderLimits, render_all
from gitops_toolkit.render.read.discover import discover, walk_tree
from gitops_toolkit.render.read.guard import guard
from gitops_toolkit.render.read.kustomization import KustomizationIndex, kustomization_file
from gitops_toolkit.render.read.parse import load_plain_directory, parse_rendering
from gitops_toolkit.render.read.source_files import SourceFiles
from gitops_toolkit.render.upstream_objects import upstream_owners

T = TypeVar("T")
R = TypeVar("R")

# What Argo CD deploys lives under these top-level folders.
SCAN_ROOTS = ("gitops-repo", "observability")
# Applications may name paths that name Applications: follow them this many times at most.
_MAX_APPLICATION_ROUNDS = 5
_VALUES_FILE = re.compile(r"(?:[\w.-]*[-_.])?values(?:[-_.][\w.-]*)?\.ya?ml")


@dataclass(frozen=True)
class GateOptions:
    root: Path
    crd_dirs: tuple[Path, ...] = ()
    render: RenderLimits = field(default_factory=RenderLimits)
    yaml: YamlLimits = DEFAULT_LIMITS
    kubernetes_version: str = KUBERNETES_VERSION
    helm_binary: Path | None = None  # None: Helm's engine in-process (helm-python-sdk)
    # Stop after rendering (entry points, Applications' paths, charts): what `invoke diff` compares.
    render_only: bool = False


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
    seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - started


def run_gate(options: GateOptions, progress: Progress | None = None) -> GateResult:
    progress = progress or SilentProgress()
    try:
        return _Gate(options, progress).run()
    finally:
        progress.close()


class _Gate:
    def __init__(self, options: GateOptions, progress: Progress) -> None:
        self.options = options
        self.progress = progress
        self.root = options.root.resolve()
        if not self.root.is_dir():
            raise ToolError(f"{options.root} is not a directory; pass the repository's root")
        self.roots = [self.root / name for name in SCAN_ROOTS if (self.root / name).is_dir()]
        if not self.roots:
            # Another team's repository has none of our folders: then everything in its work tree is a candidate.
            if not (self.root / ".git").exists():
                raise ToolError(
                    f"{options.root} is not a repository: it has no .git, {' or '.join(SCAN_ROOTS)}; "
                    "pass the root of a clone"
                )
            self.roots = [self.root]
        self.config: GateConfig = load_config(self.root)
        self.tree = SourceFiles(self.root, options.yaml, excluded=(self.root / VENDORED_DIRECTORY,))
        self.kustomizations = KustomizationIndex(self.tree.documents)
        self.seconds: dict[str, float] = {}
        self.findings: list[Finding] = []
        self.resources: list[Resource] = []
        self.entries: list[Path] = []
        self.path_status: dict[str, str] = {}
        self.releases: list[ChartRelease] = []
        self.charts = VendoredCharts()
        self.cyclic: frozenset[Path] = frozenset()

    def entry_file(self, entry: Path) -> str:
        return self.tree.relative(kustomization_file(entry) or entry)

    def load_schemas(self, crd_files: list[Path]) -> SchemaCatalog:
        kubernetes = KubernetesSchemas(self.options.kubernetes_version)
        catalog = SchemaCatalog(kubernetes, CrdSchemas(kubernetes))
        catalog.crds.add_files(crd_files)
        catalog.crds.add_directories(self.options.crd_dirs)
        return catalog

    def run(self) -> GateResult:
        self.progress.stage("discovering and guarding")
        for directory in self.options.crd_dirs:
            if not directory.is_dir():
                raise ToolError(f"--crd-dir {directory}: no such directory")
        with _timed(self.seconds, "discover"):
            vendored = verify_vendored_crds(self.root)
            self.charts = verify_vendored_charts(self.root)
            self.tree.trusted = frozenset(vendored.verified) | {
                (self.root / entry.path).resolve() for entry in self.charts.verified
            }
            discovery = discover(self.tree, self.kustomizations, self.roots)
        self.findings += vendored.findings + self.charts.findings + discovery.findings
        self.cyclic = frozenset(discovery.cyclic)
        if self.options.render_only:
            self.render(discovery.entries, scan_roots=self.roots)
            self.follow_applications()
            self.render_charts(sorted(vendored.verified))
            return self.result()
        # While kubectl and Helm render: the secret scan reads every committable file, and the schemas load
        # (converting the CRDs costs about a second when the cache is empty).
        with ThreadPoolExecutor(max_workers=3) as background:
            secret_scan = background.submit(_timed_call, self.seconds, "secrets", scan_repository, self.tree)
            ci_check = background.submit(_timed_call, self.seconds, "ci files", check_ci_files, self.tree)
            schemas = background.submit(
                _timed_call, self.seconds, "schemas", self.load_schemas, sorted(vendored.verified)
            )
            self.render(discovery.entries, scan_roots=self.roots)
            self.follow_applications()
            self.render_charts(sorted(vendored.verified))
        catalog = schemas.result()
        self.progress.stage("checking")
        self.check(catalog, vendored)
        self.findings += contained("observability", "the Alertmanager check", self.alertmanager_findings)
        with _timed(self.seconds, "promql"):
            self.findings += contained("observability", "the PromQL check", check_promql, self.resources, self.root)
        self.findings += secret_scan.result() + ci_check.result()
        return self.result()

    def result(self) -> GateResult:
        entries = [self.tree.relative(entry) for entry in self.entries]
        return GateResult(unique_sorted(self.findings), entries, self.resources, self.seconds)

    def check(self, catalog: SchemaCatalog, vendored: VendoredCrds) -> None:
        """Stages 5 and 6: schemas, then the rules over each deployed set."""
        self.findings += flux_objects(self.resources)
        if not self.entries and not self.resources:
            self.findings.append(nothing_found(self.tree.relative(self.roots[0])))
        with _timed(self.seconds, "schema"):
            schema_findings, broken = check_schemas(self.resources, catalog)
        applications = [resource for resource in self.resources if is_application(resource)]
        owners: dict[str, tuple[str, ...]] = {}
        for application in applications:
            for entry in deployed_entries(application, self.config.repository_url):
                owners[entry] = (*owners.get(entry, ()), application.ref.name)
        facts = RepositoryFacts(
            url=self.config.repository_url,
            path_status=self.path_status,
            existing_files=frozenset(self.values_files()),
            providers=self.providers(vendored.lock, catalog.crds.kinds_by_digest, owners),
            owners=owners,
            kubeadm_opened=opened_components(self.tree, self.root),
            upstream_owners=upstream_owners(
                self.root, list(vendored.verified.values()), applications, self.config.repository_url
            ),
            datasources=self.grafana_datasources(),
            runbooks=frozenset(path.stem for path in (self.root / "docs" / "runbooks").glob("*.md")),
        )
        with _timed(self.seconds, "rules"):
            self.findings += schema_findings
            for deployed in deployed_sets(self.resources, self.config.repository_url, self.root, self.tree):
                self.findings += run_rules(deployed, self.config, broken, facts)
        self.findings += self.unused_values_files()

    def render(self, entries: list[Path], scan_roots: list[Path]) -> None:
        """Guard, render and parse kustomization entry points."""
        with _timed(self.seconds, "guard"):
            guarded = guard(self.tree, self.kustomizations, scan_roots, entries, self.cyclic)
            self.findings += source_duplicates(self.tree, guarded.object_files)
        self.findings += guarded.findings
        self.entries += entries
        for entry in sorted(guarded.blocked):
            message = "not rendered until the guard findings in the files it uses are fixed"
            self.findings.append(Finding(self.entry_file(entry), 1, "RENDER-SKIPPED", message))
            self.path_status[self.tree.relative(entry)] = repository_facts.FAILED
        renderable = [entry for entry in entries if entry not in guarded.blocked]
        self.progress.stage("rendering", total=len(renderable))
        with _timed(self.seconds, "render"):
            renderings = render_all(renderable, self.options.render, self.progress.advance)
        with _timed(self.seconds, "parse"):
            for rendering in renderings:
                relative = self.tree.relative(rendering.entry)
                if rendering.failure_rule:
                    message = rendering.failure.replace(f"{self.root}/", "")  # paths as a person sees them
                    self.findings.append(Finding(self.entry_file(rendering.entry), 1, rendering.failure_rule, message))
                    self.path_status[relative] = repository_facts.FAILED
                    continue
                parsed, parse_findings = parse_rendering(rendering, self.tree, guarded.closures[rendering.entry])
                self.resources += parsed
                self.findings += parse_findings
                self.path_status[relative] = repository_facts.RENDERED

    def follow_applications(self) -> None:
        """Render every repository path an Application deploys that discovery did not, and read the manifests
        its values files embed; repeated while new Applications appear."""
        followed: set[int] = set()
        for _ in range(_MAX_APPLICATION_ROUNDS):
            applications = [r for r in self.resources if is_application(r) and id(r) not in followed]
            if not applications:
                return
            followed.update(map(id, applications))
            new_entries: list[Path] = []
            for path, named_by in repository_paths(applications, self.config.repository_url, self.root).items():
                relative = self.tree.relative(path)
                if relative in self.path_status:
                    continue
                if not path.is_relative_to(self.root) or not path.is_dir():
                    self.path_status[relative] = repository_facts.MISSING
                elif (kustomization := self.kustomizations.get(path)) is not None and kustomization.is_component:
                    self.path_status[relative] = repository_facts.COMPONENT
                elif kustomization is not None:
                    new_entries.append(path)
                elif (path / "Chart.yaml").is_file():
                    self.path_status[relative] = repository_facts.HELM_CHART
                    self.findings += [
                        source.application.finding(
                            "COVERAGE-HELM-CHART",
                            f"{relative} is a Helm chart: the gate does not render charts from this repository "
                            "yet, so what it deploys is not checked",
                            (*source.path_in_manifest, "path"),
                        )
                        for source in named_by
                    ]
                else:
                    recurse = any((s.body.get("directory") or {}).get("recurse") for s in named_by)
                    loaded, problems = load_plain_directory(self.tree, path, bool(recurse))
                    self.resources += loaded
                    self.findings += problems
                    self.path_status[relative] = repository_facts.RENDERED
            releases, findings = chart_releases(applications, self.charts, self.tree, self.root)
            self.releases += releases
            self.findings += findings
            rendered = {id(release.source.body) for release in releases}
            self.resources += self.embedded(applications, skipped=rendered)
            if new_entries:
                self.render(sorted(new_entries), scan_roots=[])

    def providers(
        self,
        lock: list[LockedCrd],
        kinds_by_digest: dict[str, set[tuple[str, str]]],
        owners: dict[str, tuple[str, ...]],
    ) -> dict[tuple[str, str], str]:
        """Which Application installs each custom resource kind: CRDs in the lock, and those Applications render."""
        found = {
            (group, kind): entry.application for entry in lock for group, kind in kinds_by_digest.get(entry.sha256, ())
        }
        for crd in self.resources:
            spec = crd.obj.get("spec") if crd.kind == "CustomResourceDefinition" else None
            if isinstance(spec, dict) and isinstance(spec.get("names"), dict) and owners.get(crd.entry):
                found.setdefault((str(spec.get("group")), str(spec["names"].get("kind"))), owners[crd.entry][0])
        return found

    def render_charts(self, locked_crd_files: list[Path]) -> None:
        """Render every chart release, serving the API versions of every CRD the repository installs."""
        if not self.releases:
            return
        self.progress.stage("rendering charts", total=len(self.releases))
        with _timed(self.seconds, "charts"):
            output = check_and_render(
                self.releases,
                locked_crd_files,
                self.options.kubernetes_version,
                self.options.helm_binary,
                self.options.render.jobs,
                self.config.free_form,
            )
        self.resources += output.resources
        self.findings += output.findings

    def existing_values_files(self, source: Source) -> Iterator[Path]:
        """The repository values files a source names that exist, in the order Helm merges them."""
        for name in source.value_files():
            path = values_file(source, name, self.root)
            if path is not None and path.is_file():
                yield path

    def embedded(self, applications: list[Resource], skipped: set[int]) -> list[Resource]:
        """Manifests the values files of charts the gate does not render embed (`extraObjects`)."""
        return [
            embedded
            for application in applications
            for source in sources(application)
            if id(source.body) not in skipped
            for path in self.existing_values_files(source)
            for embedded in embedded_objects(self.tree, path, application)
        ]

    def chart_values(self, chart: str, key: str) -> Iterator[tuple[dict[str, Any], str, YamlDocument | None]]:
        """For each Application source of `chart`: its values files merged as Helm merges them, the file that
        sets `key` last (else the Application's), and that file's document (for line look-ups)."""
        for application in filter(is_application, self.resources):
            for source in sources(application):
                if source.chart != chart:
                    continue
                merged: dict[str, Any] = {}
                where, document = application.path, None
                for path in self.existing_values_files(source):
                    documents = self.tree.documents(path)
                    if documents and isinstance(documents[0].data, dict):
                        merged = deep_merge(merged, documents[0].data)
                        if key in documents[0].data:
                            where, document = self.tree.relative(path), documents[0]
                yield merged, where, document

    def grafana_datasources(self) -> tuple[Datasource, ...]:
        """Datasources of kube-prometheus-stack's Grafana, read from its values (so that findings point at the
        line that sets them; its rendered ConfigMap says the same), and of the repository's datasource ConfigMaps."""
        found: list[Datasource] = []
        for merged, where, grafana_document in self.chart_values("kube-prometheus-stack", "grafana"):

            def line_of(position: int, document: YamlDocument | None = grafana_document) -> int:
                path: list[str | int] = ["grafana", "additionalDataSources", position, "isDefault"]
                return document.line_of(path) if document is not None else 1

            found += from_kube_prometheus_stack(merged, where, line_of)
        return (*found, *from_config_maps([resource for resource in self.resources if not resource.third_party]))

    def alertmanager_findings(self) -> list[Finding]:
        """kube-prometheus-stack's Alertmanager configuration, as the pod will load it."""
        return [
            finding
            for merged, where, document in self.chart_values("kube-prometheus-stack", "alertmanager")
            for finding in check_alertmanager(merged, where, document)
        ]

    def unused_values_files(self) -> list[Finding]:
        """Values files (named like values.yaml, *-values.yaml) that no Application names."""
        used = set(self.values_files())
        return [
            Finding(
                relative,
                1,
                "CHART-VALUES-UNUSED",
                "no Application names this values file, so nothing reads it; add it to an Application's "
                "helm.valueFiles or delete it",
            )
            for directory, _, files in walk_tree(self.roots, self.tree.excluded)
            for name in files
            if _VALUES_FILE.fullmatch(name) and (relative := self.tree.relative(directory / name)) not in used
        ]

    def values_files(self) -> list[str]:
        """Repository-relative values files the Applications name that exist."""
        return [
            self.tree.relative(path)
            for application in filter(is_application, self.resources)
            for source in sources(application)
            for path in self.existing_values_files(source)
        ]
