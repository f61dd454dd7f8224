"""The gate from end to end: the render layer's output, then schemas, rules and the checks of files that are
not rendered; each stage is a module, and this one only passes their data along."""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from gitops_toolkit.core.bounded_yaml import DEFAULT_LIMITS, YamlLimits
from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.core.findings import Finding, contained, unique_sorted
from gitops_toolkit.core.object_paths import split_api_version
from gitops_toolkit.core.progress import Progress, SilentProgress, timed
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.core.rule_catalog import Severity
from gitops_toolkit.core.versions import KUBERNETES_VERSION
from gitops_toolkit.gate.beside import Beside
from gitops_toolkit.gate.changed import ChangedScope, changed_scope
from gitops_toolkit.gate.entry_results import EntryResults, run_context, single_rendering
from gitops_toolkit.gate.facts import gather_facts
from gitops_toolkit.gate.report.coverage import flux_objects, nothing_found
from gitops_toolkit.gate.rules.ci_files import check_ci_files
from gitops_toolkit.gate.rules.cluster.capacity import CapacityRow, capacity_table
from gitops_toolkit.gate.rules.cluster.data_planes import check_data_planes
from gitops_toolkit.gate.rules.gitops.chart_values import check_values
from gitops_toolkit.gate.rules.gitops.values_files import unused_values_files
from gitops_toolkit.gate.rules.index import ResourceIndex
from gitops_toolkit.gate.rules.observability.alertmanager import check_alertmanagers, check_config_secrets
from gitops_toolkit.gate.rules.observability.promql import check_promql
from gitops_toolkit.gate.rules.repository_facts import RepositoryFacts
from gitops_toolkit.gate.rules.rule_set import run_rules
from gitops_toolkit.gate.rules.secret_scan import scan_repository
from gitops_toolkit.gate.rules.source_duplicates import source_duplicates
from gitops_toolkit.gate.schema.crd_schemas import CrdSchemas
from gitops_toolkit.gate.schema.kubernetes_schemas import KubernetesSchemas
from gitops_toolkit.gate.schema.result_cache import SchemaResults
from gitops_toolkit.gate.schema.validate import (
    SchemaCatalog,
    add_rendered_crds,
    check_built_in,
    check_resources,
    check_schemas,
)
from gitops_toolkit.gate.shards import Shard, share
from gitops_toolkit.render.charts.rendering import every_chart_facts
from gitops_toolkit.render.deployment import deployed_sets
from gitops_toolkit.render.kustomize import RenderLimits
from gitops_toolkit.render.read.source_files import SourceFiles
from gitops_toolkit.render.rendered import Rendered, RenderOptions, Repository
from gitops_toolkit.render.repository import open_repository, render_repository
from gitops_toolkit.tools.helm_engine import ChartFacts, HelmError, engine_loaded

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class GateOptions:
    root: Path
    crd_dirs: tuple[Path, ...] = ()
    render: RenderLimits = field(default_factory=RenderLimits)
    yaml: YamlLimits = DEFAULT_LIMITS
    kubernetes_version: str = KUBERNETES_VERSION
    helm_binary: Path | None = None  # None: Helm's engine in-process (helm-python-sdk)
    inventory: Path | None = None  # None: the `inventory` site setting, if any
    changed_since: str = ""  # a git ref: say what the change since then touches
    shard: Shard | None = None  # check only this share of the entry points (gate/shards.py)


@dataclass
class GateResult:
    findings: list[Finding]
    entries: list[str]
    resources: list[Resource]
    seconds: dict[str, float]
    capacity: list[CapacityRow] = field(default_factory=list)  # empty without an inventory
    rerendered: dict[str, str] = field(default_factory=dict)  # entry points kustomize ran for, and why
    changed: ChangedScope | None = None  # with --changed-since

    @property
    def exit_code(self) -> int:
        return 1 if any(finding.severity is Severity.ERROR for finding in self.findings) else 0


def _timed_call(seconds: dict[str, float], stage: str, function: Callable[[T], R], argument: T) -> R:
    with timed(seconds, stage):
        return function(argument)


def run_gate(options: GateOptions, progress: Progress | None = None) -> GateResult:
    progress = progress or SilentProgress()
    # Python's cycle collector would walk the parsed resources again and again (a tenth of a cold run's CPU, and
    # in the forked children it writes to every page it walks); a run makes few cycles, collected once it ends.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(options, progress)
    finally:
        progress.close()
        if collecting:
            gc.enable()


def _run(options: GateOptions, progress: Progress) -> GateResult:
    seconds: dict[str, float] = {}
    progress.stage("discovering and guarding")
    with timed(seconds, "discover"):
        repository = open_repository(options.root, options.yaml)
    for directory in options.crd_dirs:
        if not directory.is_dir():
            raise ToolError(f"--crd-dir {directory}: no such directory")

    def load_schemas(crd_files: list[Path]) -> SchemaCatalog:
        kubernetes = KubernetesSchemas(options.kubernetes_version)
        catalog = SchemaCatalog(kubernetes, CrdSchemas(kubernetes))
        catalog.crds.add_files(crd_files)
        catalog.crds.add_directories(options.crd_dirs)
        return catalog

    render_options = RenderOptions(options.render, options.kubernetes_version, options.helm_binary)
    if options.shard is not None:
        return _run_shard(options.shard, repository, render_options, progress, seconds)
    # Forked before any thread starts: the secret scan (wanted last, so it yields the CPU to the rest), and what
    # the vendored charts declare (wanted as soon as the Applications are rendered). While kubectl and Helm
    # render, a thread checks the CI files and indexes the CRD files.
    secret_scan = _scan_beside(repository.tree, seconds)
    chart_facts = _chart_facts_beside(repository, options.render.jobs, seconds)
    if chart_facts is not None:
        render_options = dataclasses.replace(render_options, chart_facts=chart_facts.result)
    try:
        with ThreadPoolExecutor(max_workers=2) as background:
            ci_check = background.submit(_timed_call, seconds, "ci files", check_ci_files, repository.tree)
            crd_files = sorted(repository.crds.verified)
            schemas = background.submit(_timed_call, seconds, "schemas", load_schemas, crd_files)
            rendered = render_repository(repository, render_options, progress)
        scanned = secret_scan.result()
    finally:
        secret_scan.stop()
        if chart_facts is not None:
            chart_facts.stop()
    seconds.update(rendered.seconds)
    progress.stage("checking")
    inventory = options.inventory or (
        options.root / repository.config.inventory if repository.config.inventory else None
    )
    checked, capacity = _check(repository, rendered, schemas.result(), seconds, inventory)
    findings = repository.findings + rendered.findings + checked
    findings += scanned + ci_check.result()
    entries = [repository.tree.relative(entry) for entry in rendered.entries]
    rerendered = {repository.tree.relative(entry): why for entry, why in rendered.rerendered.items()}
    changed = (
        changed_scope(repository.root, options.changed_since, repository.tree, rendered.read_files)
        if options.changed_since
        else None
    )
    return GateResult(unique_sorted(findings), entries, rendered.resources, seconds, capacity, rerendered, changed)


def _scan_beside(tree: SourceFiles, seconds: dict[str, float], *takes: Callable[[int], bool]) -> Beside[list[Finding]]:
    """The secret scan (of every file, or of those `takes` picks) in a forked child, at a low priority."""
    return Beside(lambda: scan_repository(tree, *takes), seconds, "secrets", niceness=10)


def _chart_facts_beside(
    repository: Repository, jobs: int, seconds: dict[str, float]
) -> Beside[dict[Path, ChartFacts | HelmError]] | None:
    """Every vendored chart's facts, read in a forked child while kustomize renders; None where the child could
    not use Helm (this process has loaded it already) or there is no chart."""
    if not repository.charts.verified or engine_loaded():
        return None
    archives = [(repository.root / chart.path, chart.sha256) for chart in repository.charts.verified]
    return Beside(lambda: every_chart_facts(archives, jobs), seconds, "chart facts")


def _run_shard(
    shard: Shard, repository: Repository, options: RenderOptions, progress: Progress, seconds: dict[str, float]
) -> GateResult:
    """A shard's share: what its entry points show on their own (see gate/shards.py)."""
    tree = repository.tree
    chosen = share([tree.relative(entry) for entry in repository.entries], shard)
    entries = [entry for entry in repository.entries if tree.relative(entry) in chosen]
    scan = _scan_beside(tree, seconds, shard.takes)
    try:
        rendered = render_repository(repository, options, progress, only=entries)
        scanned = scan.result()
    finally:
        scan.stop()
    seconds.update(rendered.seconds)
    progress.stage("checking")
    kubernetes = KubernetesSchemas(options.kubernetes_version)
    built_in = [r for r in rendered.resources if kubernetes.validator(r.api_version, r.kind) is not None]
    with timed(seconds, "schema"):
        schema_findings, _ = check_schemas(built_in, SchemaCatalog(kubernetes, CrdSchemas(kubernetes)))
    findings = rendered.findings + scanned + (repository.findings if shard.index == 1 else [])
    findings += [finding for finding in schema_findings if finding.rule != "SCHEMA-CRD-CONFLICT"]
    rerendered = {tree.relative(entry): why for entry, why in rendered.rerendered.items()}
    relative = [tree.relative(entry) for entry in entries]
    return GateResult(unique_sorted(findings), relative, rendered.resources, seconds, rerendered=rerendered)


def _observability_checks(
    resources: list[Resource], tree: SourceFiles, root: Path, seconds: dict[str, float]
) -> list[Finding]:
    """What amtool and promtool say of the Alertmanager configurations and the PromQL."""
    findings = contained("observability", "the Alertmanager check", check_alertmanagers, resources, tree, root)
    findings += contained("observability", "the Alertmanager check", check_config_secrets, resources)
    with timed(seconds, "promql"):
        return findings + contained("observability", "the PromQL check", check_promql, resources, root)


def _schemas_and_rules(
    repository: Repository,
    rendered: Rendered,
    catalog: SchemaCatalog,
    facts: RepositoryFacts,
    seconds: dict[str, float],
    results: SchemaResults,
) -> tuple[list[Finding], list[Resource]]:
    """Every resource against its schema, and the rules over each deployed set; a set that is one unchanged
    entry point's rendering, in an unchanged context, comes from the last run (gate/entry_results.py). The
    findings, and the resources that broke their schema."""
    config, resources = repository.config, rendered.resources
    kept = EntryResults(run_context(config, facts, catalog.crds.identity(), catalog.kubernetes.kubernetes_version))
    originals = frozenset(id(resource) for resource in resources)
    unchecked = set(originals)  # the resources whose schema no kept result covers
    findings: list[Finding] = []
    broken: list[Resource] = []
    fresh: list[tuple[list[Resource], str]] = []  # the sets to check, with their closure key ("" for none)
    own: dict[int, tuple[list[Finding], list[Resource]]] = {}  # schema results of each keyed fresh set
    for deployed in deployed_sets(resources, config.repository_url, repository.root, repository.tree):
        key = single_rendering(deployed, originals, rendered.closure_keys)
        hit = kept.get(key) if key else None
        if hit is not None:
            findings += hit[0]
            broken += [deployed[position] for position in hit[1]]
            unchecked -= set(map(id, deployed))
        else:
            fresh.append((deployed, key))
    with timed(seconds, "schema"):
        for deployed, key in fresh:
            if key:
                own[id(deployed)] = check_resources(deployed, catalog, results)
                unchecked -= set(map(id, deployed))
        rest, rest_broken = check_resources([r for r in resources if id(r) in unchecked], catalog, results)
        results.save()
    findings += rest
    broken += rest_broken + [resource for _, set_broken in own.values() for resource in set_broken]
    with timed(seconds, "rules"):
        for deployed, key in fresh:
            found = run_rules(deployed, config, broken, facts)
            findings += found
            if key:
                schema_found, set_broken = own[id(deployed)]
                findings += schema_found
                broken_ids = set(map(id, set_broken))
                positions = [position for position, resource in enumerate(deployed) if id(resource) in broken_ids]
                kept.put(key, schema_found + found, positions)
    kept.close()
    return findings, broken


def _check(
    repository: Repository,
    rendered: Rendered,
    catalog: SchemaCatalog,
    seconds: dict[str, float],
    inventory: Path | None,
) -> tuple[list[Finding], list[CapacityRow]]:
    """Stages 5 and 6: schemas, then the rules over each deployed set, then the checks of what is not rendered
    (values files, Alertmanager's configuration, PromQL); and the capacity table of what is deployed."""
    resources, root, tree = rendered.resources, repository.root, repository.tree
    findings = add_rendered_crds(resources, catalog)
    # Parsing the CRDs the resources need (megabytes of YAML, when the cache is empty) in a forked child, while
    # this process runs the checks that need no schema. The child runs Python only: Go's runtime, loaded by Helm
    # by now, does not survive a fork, and the child has no use for it.
    needed = {(split_api_version(resource.api_version)[0], resource.kind) for resource in resources}
    converting = (
        Beside(lambda: catalog.crds.convert(needed), seconds, "crd schemas") if catalog.crds.uncached(needed) else None
    )
    try:
        # promtool and amtool run from a thread (started after the fork above), while this one checks the rest.
        with ThreadPoolExecutor(max_workers=1) as programs:
            observability = programs.submit(_observability_checks, resources, tree, root, seconds)
            with timed(seconds, "guard"):
                findings += source_duplicates(tree, rendered.object_files)
            with timed(seconds, "charts"):
                for release in rendered.releases:
                    chart = rendered.chart_facts.get(release.archive)
                    if chart is not None:
                        findings += check_values(release, chart, repository.config.free_form(chart.name))
            findings += flux_objects(resources)
            if not rendered.entries and not resources:
                findings.append(nothing_found(tree.relative(repository.roots[0])))
            facts = gather_facts(repository, rendered, catalog.crds.kinds_by_digest, inventory)
            findings += check_data_planes(tree, root)
            findings += unused_values_files(
                repository.roots, tree, repository.kustomizations, set(facts.existing_files)
            )
            results = SchemaResults(catalog.kubernetes.kubernetes_version)
            if converting is not None:  # the built-in resources' schemas while the child parses
                with timed(seconds, "schema"):
                    check_built_in(resources, catalog, results)
                catalog.crds.adopt(converting.result())
            checked, broken = _schemas_and_rules(repository, rendered, catalog, facts, seconds, results)
            findings += checked + observability.result()
    finally:
        if converting is not None:
            converting.stop()
    if facts.cluster is None or not facts.cluster.machines:  # no inventory: no table, no index of everything
        return findings, []
    return findings, capacity_table(ResourceIndex(resources, repository.config, broken, facts))
