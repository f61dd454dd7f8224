"""One thing rendered on its own, for the verbs that need one overlay or one Application rather than the whole
repository: `bump-image` (the images an overlay renders), `alerts.test` (the alert rules), the bootstrap (Argo
CD's chart, exactly as the gate renders it: the same vendored archive, values, release name and namespace)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_toolkit.core.bounded_yaml import load_trusted_yaml
from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.render.charts.releases import api_versions_served, chart_releases
from gitops_toolkit.render.charts.vendored import verify_vendored_charts
from gitops_toolkit.render.kustomize import RenderLimits, render_one
from gitops_toolkit.render.read.source_files import SourceFiles
from gitops_toolkit.tools.helm import render
from gitops_toolkit.tools.helm_engine import HelmError


class RenderError(ToolError):
    """What a verb asked to render does not render; the message is kustomize's or Helm's."""


def render_kustomization(directory: Path, limits: RenderLimits | None = None) -> list[Any]:
    """The objects one kustomization renders."""
    rendering = render_one(directory, limits or RenderLimits())
    if rendering.failure_rule:
        raise RenderError(rendering.failure)
    return load_trusted_yaml(rendering.text)


@dataclass(frozen=True)
class ApplicationChart:
    chart: str  # "argo-cd 10.1.1"
    release: str
    namespace: str
    templates: list[tuple[str, str]]  # (template, manifest text), the chart's CRDs first


def render_application_chart(
    application: Resource, root: Path, kubernetes_version: str, crd_texts: Iterable[str]
) -> ApplicationChart:
    """The first chart the Application installs, on a cluster of that version serving the CRDs in `crd_texts`;
    RenderError says why it cannot be rendered."""
    releases, findings = chart_releases([application], verify_vendored_charts(root), SourceFiles(root), root)
    if not releases:
        raise RenderError(findings[0].message if findings else "it installs no chart")
    release = releases[0]
    try:
        templates = render(release.request(kubernetes_version, api_versions_served(iter(crd_texts))))
    except HelmError as error:
        raise RenderError(f"chart {release.locked.name} does not render: {error}") from None
    chart = f"{release.locked.name} {release.locked.version}"
    return ApplicationChart(chart, release.release_name, release.namespace, templates)
