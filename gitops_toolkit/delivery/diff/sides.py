"""The two sides of a diff, each rendered by the render layer as the gate renders it (entry points, the paths the
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

from gitops_toolkit.core.resource import Resource
from gitops_toolkit.render.applications import deployed_entries, is_application
from gitops_toolkit.render.charts.values import ValuesLayer, application_values
from gitops_toolkit.render.repository import open_repository, render_repository
from gitops_toolkit.tools.git import git

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
        repository = open_repository(tree)
        resources = render_repository(repository).resources
        applications = [resource for resource in resources if is_application(resource)]
        values = _digests(application_values(applications, repository.tree, repository.root))
    url = repository.config.repository_url
    owners = {entry: app.ref.name for app in applications for entry in deployed_entries(app, url)}
    return Side(ref or "the working tree", resources, owners, values)


def _digests(values: dict[str, list[ValuesLayer]]) -> dict[str, dict[str, str]]:
    """What each Application passes its charts as values, as digests: the files, and its own fields."""
    found: dict[str, dict[str, str]] = {}
    for application, layers in values.items():
        inputs = found.setdefault(application, {})
        for layer in layers:
            where = layer.where if layer.where not in inputs else f"{layer.where} ({len(inputs)})"
            content = json.dumps(layer.data, sort_keys=True, default=str)
            inputs[where] = hashlib.sha256(content.encode()).hexdigest()
    return found
