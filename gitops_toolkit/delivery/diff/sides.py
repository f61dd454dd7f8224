"""The two sides of a diff, each rendered by the gate's own render stage (entry points, the paths the
Applications deploy, their charts): the working tree as it is, or a ref checked out in a temporary
`git worktree` that is removed afterwards (the user's checkout is never touched)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gitops_toolkit.core.gate_settings import load_config
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.gate.pipeline import GateOptions, run_gate
from gitops_toolkit.render.applications import deployed_entries, is_application, sources
from gitops_toolkit.render.charts.releases import UnreadableValues, values_layers
from gitops_toolkit.render.read.source_files import SourceFiles
from gitops_toolkit.tools.git import git
from gitops_toolkit.tools.helm import HelmError

WORKING_TREE = ""


@dataclass(frozen=True)
class Side:
    label: str  # the ref, or "the working tree"
    resources: list[Resource]
    owners: dict[str, str]  # entry point: the Application that deploys it
    values: dict[str, dict[str, str]]  # Application: {each input of its charts' values: digest of its content}


@contextlib.contextmanager
def checked_out(root: Path, ref: str) -> Iterator[Path]:
    """`ref` in a temporary worktree beside nothing the user sees; removed on exit, also on failure."""
    commit = git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
    with tempfile.TemporaryDirectory(prefix="gitops-diff-") as directory:
        tree = Path(directory) / "tree"
        git(root, "worktree", "add", "--quiet", "--detach", str(tree), commit)
        try:
            yield tree
        finally:
            git(root, "worktree", "remove", "--force", str(tree))


def render_side(root: Path, ref: str) -> Side:
    """Everything Argo CD would deploy from `ref` (WORKING_TREE: the files as they are now)."""
    with contextlib.nullcontext(root) if ref == WORKING_TREE else checked_out(root, ref) as tree:
        result = run_gate(GateOptions(root=tree, render_only=True))
        url = load_config(tree).repository_url
        applications = [resource for resource in result.resources if is_application(resource)]
        values = _chart_values(applications, tree)
    owners = {entry: app.ref.name for app in applications for entry in deployed_entries(app, url)}
    return Side(ref or "the working tree", result.resources, owners, values)


def _chart_values(applications: list[Resource], tree: Path) -> dict[str, dict[str, str]]:
    """What each Application passes its charts as values, as digests: the files, and its own fields."""
    files = SourceFiles(tree)
    found: dict[str, dict[str, str]] = {}
    for application in applications:
        inputs = found.setdefault(application.ref.name, {})
        for source in sources(application):
            if not source.chart:
                continue
            try:
                layers = values_layers(source, files, tree)
            except (UnreadableValues, HelmError):
                continue  # the gate reports it
            for layer in layers:
                where = layer.where if layer.where not in inputs else f"{layer.where} ({len(inputs)})"
                content = json.dumps(layer.data, sort_keys=True, default=str)
                inputs[where] = hashlib.sha256(content.encode()).hexdigest()
    return found
