"""The render layer's entry: a checkout turned into what Argo CD would apply, and nothing else.

`open_repository` reads a checkout once: its settings, its YAML files, its pinned charts and CRDs (verified
by sha256) and its kustomize entry points. `render_repository` then guards, renders and parses every entry
point, every repository path an Application deploys and every chart an Application pins, each resource
remembering the file and line a person edits. The gate checks the result; `invoke diff` compares two."""

from __future__ import annotations

from pathlib import Path

from gitops_toolkit.core.bounded_yaml import DEFAULT_LIMITS, YamlLimits
from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.core.progress import Progress, SilentProgress, timed
from gitops_toolkit.render.charts.rendering import render_charts
from gitops_toolkit.render.charts.vendored import verify_vendored_charts
from gitops_toolkit.render.crds.lock import VENDORED_DIRECTORY
from gitops_toolkit.render.crds.vendored import verify_vendored_crds
from gitops_toolkit.render.following import DeployedPaths
from gitops_toolkit.render.read.discover import discover
from gitops_toolkit.render.read.kustomization import KustomizationIndex
from gitops_toolkit.render.read.source_files import SourceFiles
from gitops_toolkit.render.rendered import Rendered, RenderOptions, Repository
from gitops_toolkit.render.settings import load_config
from gitops_toolkit.render.unreferenced import read_unreferenced

# What Argo CD deploys lives under these top-level folders.
SCAN_ROOTS = ("gitops-repo", "observability")


def _search_roots(root: Path, given: Path) -> list[Path]:
    """Our folders; in another team's repository, which has none of them, its whole work tree."""
    roots = [root / name for name in SCAN_ROOTS if (root / name).is_dir()]
    if roots:
        return roots
    if not (root / ".git").exists():
        raise ToolError(
            f"{given} is not a repository: it has no .git, {' or '.join(SCAN_ROOTS)}; pass the root of a clone"
        )
    return [root]


def open_repository(root: Path, yaml_limits: YamlLimits = DEFAULT_LIMITS) -> Repository:
    resolved = root.resolve()
    if not resolved.is_dir():
        raise ToolError(f"{root} is not a directory; pass the repository's root")
    roots = _search_roots(resolved, root)
    config = load_config(resolved)
    tree = SourceFiles(resolved, yaml_limits, excluded=(resolved / VENDORED_DIRECTORY,))
    kustomizations = KustomizationIndex(tree.documents, tree.real_path)
    crds = verify_vendored_crds(resolved)
    charts = verify_vendored_charts(resolved)
    tree.trusted = frozenset(crds.verified) | {(resolved / entry.path).resolve() for entry in charts.verified}
    discovery = discover(tree, kustomizations, roots)
    findings = crds.findings + charts.findings + discovery.findings
    cyclic = frozenset(discovery.cyclic)
    return Repository(resolved, roots, config, tree, kustomizations, crds, charts, discovery.entries, cyclic, findings)


def render_repository(
    repository: Repository,
    options: RenderOptions | None = None,
    progress: Progress | None = None,
    only: list[Path] | None = None,
) -> Rendered:
    """Every entry point, then every repository path the Applications deploy (repeated while new Applications
    appear), then the manifests nothing names, then every chart the Applications pin, on a cluster serving every
    CRD the repository installs. With `only` (a shard's share of the entry points), just those entry points:
    what their Applications deploy is another shard's, or the merge's."""
    options = options or RenderOptions()
    progress = progress or SilentProgress()
    rendered = Rendered()
    paths = DeployedPaths(repository, options, progress, rendered)
    if only is not None:
        paths.render_entries(only, scan_roots=[])
        return rendered
    paths.render_entries(repository.entries, scan_roots=repository.roots)
    paths.follow_applications()
    read_unreferenced(repository, rendered)
    paths.follow_applications()  # the Applications among them (an app of apps applied by hand)
    if rendered.releases:
        progress.stage("rendering charts", total=len(rendered.releases))
        with timed(rendered.seconds, "charts"):
            charts = render_charts(
                rendered.releases,
                sorted(repository.crds.verified),
                options.kubernetes_version,
                options.helm_binary,
                options.limits.jobs,
                options.chart_facts() if options.chart_facts else None,
            )
        rendered.resources += charts.resources
        rendered.findings += charts.findings
        rendered.chart_facts = charts.facts
    return rendered
