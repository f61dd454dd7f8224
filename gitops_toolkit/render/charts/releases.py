"""Stage 3, Helm: render every chart an Application pins, from the vendored archive, as Argo CD renders it:
values files merged in the Application's order, then `values`, `valuesObject` and `parameters`; its release
name and destination namespace; Kubernetes at the gate's version serving every CRD the repository installs
(Argo CD renders again on every refresh, so once the earlier waves have synced the cluster serves them all);
the chart's CRDs unless the Application skips them. A chart whose templates (or values) call a random or time
function is rendered twice: output that differs between two renders of the same input makes Argo CD see the
Application OutOfSync on every refresh."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitops_toolkit.core.bounded_yaml import YamlDocument, YamlRejected, load_yaml_text
from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.gate.rules.observability.grafana import deep_merge
from gitops_toolkit.gate.schema.crd_schemas import crd_stub, served_api_versions
from gitops_toolkit.render.applications import Source, chart_entry, destination_namespace, sources, values_file
from gitops_toolkit.render.charts.lock import LOCK_FILE, LockedChart
from gitops_toolkit.render.charts.render_cache import CRD_TEXT, RenderOutcome, outcome_of
from gitops_toolkit.render.charts.vendored import VendoredCharts
from gitops_toolkit.render.deployment import in_namespace
from gitops_toolkit.render.read.source_files import SourceFiles
from gitops_toolkit.tools.helm import ChartFacts, HelmError, RenderRequest, parse_set


class UnreadableValues(Exception):
    """A values file the guard rejected (its findings say why): the release is not rendered."""


@dataclass(frozen=True)
class ValuesLayer:
    """One input of a chart's values, in merge order: a values file, or a field of the Application."""

    where: str  # repository-relative file
    data: dict[str, Any]
    document: YamlDocument | None  # for line numbers
    path_in_document: tuple[str | int, ...] = ()

    def line_of(self, key_path: tuple[str | int, ...]) -> int:
        if self.document is None:
            return 1
        return self.document.line_of([*self.path_in_document, *key_path])

    def sets(self, key_path: tuple[str | int, ...]) -> bool:
        value: Any = self.data
        for part in key_path:
            if not isinstance(value, dict) or part not in value:
                return False
            value = value[part]
        return True


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


def values_layers(source: Source, tree: SourceFiles, root: Path) -> tuple[ValuesLayer, ...]:
    """The values a source passes to Helm, lowest precedence first, as Argo CD orders them."""
    helm = source.body.get("helm") or {}
    application = source.application
    layers: list[ValuesLayer] = []
    for name in source.value_files():
        path = values_file(source, name, root)
        if path is None or not path.is_file():
            continue  # GITOPS-VALUES-FILE reports it
        if isinstance(tree.load(path), YamlRejected):
            raise UnreadableValues(tree.relative(path))
        documents = tree.documents(path)
        if documents and isinstance(documents[0].data, dict):
            layers.append(ValuesLayer(tree.relative(path), documents[0].data, documents[0]))
    inline = helm.get("values")
    if isinstance(inline, str) and inline.strip():
        try:
            documents = load_yaml_text(inline)  # bounded like every file: no alias bomb reaches Helm
        except YamlRejected as rejected:
            raise HelmError(f"helm.values: {rejected.message}") from None
        if documents and isinstance(documents[0].data, dict):
            layers.append(ValuesLayer(application.path, documents[0].data, None))
    if isinstance(helm.get("valuesObject"), dict):
        path_in_manifest = (*source.path_in_manifest, "helm", "valuesObject")
        layers.append(ValuesLayer(application.path, helm["valuesObject"], application.source, path_in_manifest))
    parameters: dict[str, Any] = {}
    for parameter in helm.get("parameters") or []:
        if isinstance(parameter, dict) and parameter.get("name"):
            parameters = deep_merge(parameters, _parameter_values(parameter))
    if parameters:
        path_in_manifest = (*source.path_in_manifest, "helm", "parameters")
        layers.append(ValuesLayer(application.path, parameters, application.source, path_in_manifest))
    return tuple(layers)


def _parameter_values(parameter: dict[str, Any]) -> dict[str, Any]:
    """A `--set` (or `--set-string` when forceString) parameter as a values tree."""
    return parse_set(str(parameter["name"]), str(parameter.get("value", "")), parameter.get("forceString") is True)


# Where Helm's schema message names the offending value: "at '/a/b'".
_SCHEMA_PATH = re.compile(r"at '(/[^']*)'")


@dataclass
class ChartOutput:
    resources: list[Resource] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def api_versions_served(crd_texts: Iterator[str]) -> tuple[str, ...]:
    versions: set[str] = set()
    for text in crd_texts:
        versions |= served_api_versions(text)
    return tuple(sorted(versions))


def render_releases(
    releases: list[ChartRelease],
    kube_version: str,
    api_versions: tuple[str, ...],
    helm_binary: Path | None,
    jobs: int,
    facts: Mapping[Path, ChartFacts],
) -> ChartOutput:
    """Render every release (twice where it may vary) and check its values against the chart's schema, releases
    in parallel (the engine runs outside the GIL), then parse the output."""

    def outcome(release: ChartRelease) -> RenderOutcome:
        request = release.request(kube_version, api_versions)
        return outcome_of(request, release.locked.sha256, helm_binary, facts[release.archive])

    output = ChartOutput()
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for release, result in zip(releases, pool.map(outcome, releases), strict=True):
            if result.schema_violation:
                output.findings.append(schema_finding(release, result.schema_violation))
                continue
            if result.error is not None:
                output.findings.append(
                    release.finding(
                        "CHART-RENDER-FAILED",
                        f"chart {release.locked.name} {release.locked.version} does not render with these "
                        f"values: {result.error}",
                    )
                )
                continue
            output.findings += [
                release.finding(
                    "RENDER-NONDETERMINISTIC",
                    f"{template} renders differently each time ({'; '.join(changed) or 'content changes'}): a "
                    "random or time-based value (randAlphaNum, now, uuid, genCA) changes on every Argo CD "
                    "refresh, so the Application never stays in sync; set the value in the values (for a secret: "
                    "an existingSecret)",
                )
                for template, changed in result.differences
            ]
            resources, findings = _parse(release, result.rendered, facts[release.archive].capability_gated)
            output.resources += resources
            output.findings += findings
    return output


def _written_objects(release: ChartRelease) -> dict[tuple[str, str], tuple[str, YamlDocument]]:
    """Manifests the values carry under `extraObjects` (charts render them as they are), by kind and name,
    with their file and document: output that matches one was written in this repository."""
    written: dict[tuple[str, str], tuple[str, YamlDocument]] = {}
    for layer in release.layers:
        items = layer.data.get("extraObjects")
        for position, item in enumerate(items if isinstance(items, list) else []):
            document = (
                layer.document.sub_document([*layer.path_in_document, "extraObjects", position])
                if (layer.document is not None)
                else None
            )
            if isinstance(item, dict) and document is not None:
                name = str((item.get("metadata") or {}).get("name", ""))
                written[(str(item.get("kind", "")), name)] = (layer.where, document)
    return written


def _parse(
    release: ChartRelease, rendered: list[tuple[str, list[Any] | str]], gated: frozenset[str]
) -> tuple[list[Resource], list[Finding]]:
    path, line = release.chart_line
    written = _written_objects(release)
    resources: list[Resource] = []
    findings: list[Finding] = []
    for template, objects in rendered:
        if isinstance(objects, str):
            findings.append(release.finding("CHART-RENDER-FAILED", f"{template} is not YAML: {objects}"))
            continue
        for obj in objects:
            if not isinstance(obj, dict):
                findings.append(release.finding("CHART-RENDER-FAILED", f"{template} holds a non-object document"))
                continue
            if obj.get("kind") == "List" and isinstance(obj.get("items"), list):
                items = [item for item in obj["items"] if isinstance(item, dict)]
            else:
                items = [obj]
            for item in items:
                if CRD_TEXT in item:
                    stub = crd_stub(str(item[CRD_TEXT])) or {}
                    crd = Resource(stub, release.entry, path, line, third_party=True, crd_text=str(item[CRD_TEXT]))
                    resources.append(crd)
                    continue
                key = (str(item.get("kind", "")), str((item.get("metadata") or {}).get("name", "")))
                if key in written:
                    where, document = written[key]
                    resource = Resource(item, release.entry, where, document.line, document)
                else:
                    resource = Resource(
                        item, release.entry, path, line, third_party=True, rendered_when_served=template in gated
                    )
                resources.append(in_namespace(resource, release.namespace))
    return resources, findings


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


def schema_finding(release: ChartRelease, violation: str) -> Finding:
    """CHART-VALUES-SCHEMA at the file and line that set the first value the schema names."""
    match = _SCHEMA_PATH.search(violation)
    key_path = tuple(part for part in match.group(1).split("/") if part) if match else ()
    path, line = release.where(key_path)
    return Finding(
        path,
        line,
        "CHART-VALUES-SCHEMA",
        f"values break the values.schema.json of chart {release.locked.name} {release.locked.version}: {violation}",
        release.application.ref,
    )
