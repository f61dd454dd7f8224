"""Stage 3, Helm: render every chart an Application pins, from the vendored archive, as Argo CD renders it:
values merged in the Application's order; its release name and destination namespace; Kubernetes at the
gate's version serving every CRD the repository installs (Argo CD renders again on every refresh, so once the
earlier waves have synced the cluster serves them all); the chart's CRDs unless the Application skips them.
A chart whose templates (or values) call a random or time function is rendered twice: output that differs
between two renders of the same input makes Argo CD see the Application OutOfSync on every refresh."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitops_toolkit.core.bounded_yaml import YamlDocument
from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.render.charts.releases import ChartRelease, api_versions_served
from gitops_toolkit.render.charts.render_cache import CRD_TEXT, RenderOutcome, facts_of, outcome_of, subchart_keys
from gitops_toolkit.render.crds.crd_text import crd_stub
from gitops_toolkit.render.deployment import in_namespace
from gitops_toolkit.tools.helm_engine import ChartFacts, HelmError

# Where Helm's schema message names the offending value: "at '/a/b'".
_SCHEMA_PATH = re.compile(r"at '(/[^']*)'")


@dataclass
class ChartOutput:
    resources: list[Resource] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    facts: dict[Path, ChartFacts] = field(default_factory=dict)  # by archive, for the charts that loaded


FactsByArchive = Mapping[Path, ChartFacts | HelmError]


def _facts(archive_and_sha256: tuple[Path, str]) -> ChartFacts | HelmError:
    try:
        return facts_of(*archive_and_sha256)
    except HelmError as error:
        return error


def every_chart_facts(archives: Iterable[tuple[Path, str]], jobs: int) -> dict[Path, ChartFacts | HelmError]:
    """What each chart archive (path, sha256) declares, or why Helm cannot load it."""
    chosen = sorted(set(archives))
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return dict(zip((archive for archive, _ in chosen), pool.map(_facts, chosen), strict=True))


def render_charts(
    releases: list[ChartRelease],
    locked_crd_files: list[Path],
    kube_version: str,
    helm_binary: Path | None,
    jobs: int,
    known: FactsByArchive | None = None,
) -> ChartOutput:
    """What each chart declares (read first: its CRDs add to the API versions every release is rendered with;
    `known` holds what was read beforehand), and the resources every release renders."""
    output = ChartOutput()
    texts = [path.read_text(encoding="utf-8", errors="replace") for path in locked_crd_files]
    versions = set(api_versions_served(iter(texts)))
    renderable = []
    known = known or {}
    missing = ((release.archive, release.locked.sha256) for release in releases if release.archive not in known)
    every = {**known, **every_chart_facts(missing, jobs)}
    loaded = [every[release.archive] for release in releases]
    for release, found in zip(releases, loaded, strict=True):
        if isinstance(found, HelmError):
            output.findings.append(release.finding("CHART-RENDER-FAILED", str(found)))
            continue
        output.facts[release.archive] = found
        renderable.append(release)
        versions.update(found.api_versions)
    rendered = render_releases(renderable, kube_version, tuple(sorted(versions)), helm_binary, jobs, output.facts)
    output.resources += rendered.resources
    output.findings += rendered.findings
    return output


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
        # The biggest charts first, so that no big one starts last; the results in the releases' order.
        by_size = sorted(releases, key=lambda release: release.archive.stat().st_size, reverse=True)
        futures = {id(release): pool.submit(outcome, release) for release in by_size}
        for release in releases:
            result = futures[id(release)].result()
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
                    # a subchart's output is reported where the values configure it (grafana: in kps's values)
                    keys = subchart_keys(template.split("/")[:-1])
                    where, at = release.where(tuple(keys)) if keys else (path, line)
                    resource = Resource(
                        item, release.entry, where, at, third_party=True, rendered_when_served=template in gated
                    )
                resources.append(in_namespace(resource, release.namespace))
    return resources, findings


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
