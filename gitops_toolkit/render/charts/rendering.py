"""The chart part of stage 3, end to end: what each chart declares, its Applications' values checked against
it, and every release rendered on a cluster serving every CRD the repository installs."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from gitops_toolkit.gate.rules.gitops.chart_values import check_values
from gitops_toolkit.render.charts.releases import ChartOutput, ChartRelease, api_versions_served, render_releases
from gitops_toolkit.render.charts.render_cache import facts_of
from gitops_toolkit.tools.helm import ChartFacts, HelmError


def _facts(release: ChartRelease) -> ChartFacts | HelmError:
    try:
        return facts_of(release.archive, release.locked.sha256)
    except HelmError as error:
        return error


def check_and_render(
    releases: list[ChartRelease],
    locked_crd_files: list[Path],
    kube_version: str,
    helm_binary: Path | None,
    jobs: int,
    free_form: Callable[[str], frozenset[str]],
) -> ChartOutput:
    """Findings on each release's values and the resources its chart renders. `free_form(chart)` names the
    values paths that chart reads as whole maps."""
    output = ChartOutput()
    texts = [path.read_text(encoding="utf-8", errors="replace") for path in locked_crd_files]
    versions = set(api_versions_served(iter(texts)))
    facts: dict[Path, ChartFacts] = {}
    renderable = []
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        loaded = list(pool.map(_facts, releases))
    for release, found in zip(releases, loaded, strict=True):
        if isinstance(found, HelmError):
            output.findings.append(release.finding("CHART-RENDER-FAILED", str(found)))
            continue
        facts[release.archive] = found
        renderable.append(release)
        versions.update(found.api_versions)
        output.findings += check_values(release, found, free_form(found.name))
    rendered = render_releases(renderable, kube_version, tuple(sorted(versions)), helm_binary, jobs, facts)
    output.resources += rendered.resources
    output.findings += rendered.findings
    return output
