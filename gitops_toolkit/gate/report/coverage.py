"""What the gate could not check, said as findings rather than skipped in silence: what Flux would render
from its objects, and a root where nothing was found to render at all."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.object_paths import get_path
from gitops_toolkit.core.resource import Resource

_FLUX_SOURCES = {
    ("helm.toolkit.fluxcd.io", "HelmRelease"): ("spec", "chart", "spec", "chart"),
    ("kustomize.toolkit.fluxcd.io", "Kustomization"): ("spec", "path"),
}


def flux_objects(resources: Iterable[Resource]) -> Iterator[Finding]:
    for resource in resources:
        field = _FLUX_SOURCES.get((resource.api_group, resource.kind))
        if field is None:
            continue
        what = get_path(resource.obj, field) or get_path(resource.obj, ("spec", "chartRef", "name")) or "?"
        yield resource.finding(
            "COVERAGE-FLUX",
            f"Flux {resource.kind}: the gate checks this object but does not render what Flux installs from it "
            f"(`{what}`); check that with Flux's own tooling (`flux build`, `helm template`)",
            field[:2],
        )


def nothing_found(root_name: str) -> Finding:
    return Finding(
        root_name,
        1,
        "COVERAGE-NOTHING-RENDERED",
        "found no kustomization and no Argo CD Application to render, so nothing was checked but the files' "
        "YAML safety and secrets; is this the repository's root?",
    )
