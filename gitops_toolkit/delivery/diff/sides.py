"""The two sides of a diff, each rendered by the render layer as the gate renders it (entry points, the paths the
Applications deploy, their charts): the working tree as it is, or a ref checked out in a temporary
`git worktree` that is removed afterwards (the user's checkout is never touched)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.gate.facts import cluster_shape
from gitops_toolkit.gate.rules.cluster.capacity import CapacityRow, capacity_table
from gitops_toolkit.gate.rules.index import ResourceIndex
from gitops_toolkit.gate.rules.repository_facts import RepositoryFacts
from gitops_toolkit.render.applications import deployed_entries, is_application
from gitops_toolkit.render.charts.values import ValuesLayer, application_values
from gitops_toolkit.render.rendered import Repository
from gitops_toolkit.render.repository import open_repository, render_repository
from gitops_toolkit.tools.git import GitError, git

WORKING_TREE = ""


@dataclass(frozen=True)
class Side:
    label: str  # the ref, or "the working tree"
    resources: list[Resource]
    owners: dict[str, str]  # entry point: the Application that deploys it
    values: dict[str, dict[str, str]]  # Application: {each input of its charts' values: digest of its content}
    capacity: list[CapacityRow] = field(default_factory=list)  # what its pods request (with an inventory)


@contextlib.contextmanager
def checked_out(root: Path, ref: str) -> Iterator[Path]:
    """`ref` in a temporary worktree beside nothing the user sees; removed on exit, also on failure."""
    try:
        commit = git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
    except GitError:
        raise ToolError(f"{ref}: not a branch, tag or commit of {root}; name one `git log` shows") from None
    with tempfile.TemporaryDirectory(prefix="gitops-diff-") as directory:
        # git names a worktree's own files after the folder's name: one of its own per run and side, so that
        # two sides checked out at once never share them
        tree = Path(directory) / Path(directory).name
        git(root, "worktree", "add", "--quiet", "--detach", str(tree), commit)
        try:
            yield tree
        finally:
            git(root, "worktree", "remove", "--force", str(tree))


def render_side(root: Path, ref: str) -> Side:
    """Everything Argo CD would deploy from `ref` (WORKING_TREE: the files as they are now)."""
    with contextlib.nullcontext(root) if ref == WORKING_TREE else checked_out(root, ref) as tree:
        repository = open_repository(tree)
        rendered = render_repository(repository)
        resources = rendered.resources
        applications = [resource for resource in resources if is_application(resource)]
        values = _digests(application_values(applications, repository.tree, repository.root))
        url = repository.config.repository_url
        owners = {entry: app.ref.name for app in applications for entry in deployed_entries(app, url)}
        capacity = _capacity(repository, resources, owners)
    label = ref or "the working tree"
    if left_out := rendered.left_out(repository):
        raise ToolError(_not_rendered(label, left_out, owners))
    return Side(label, resources, owners, values, capacity)


def _capacity(repository: Repository, resources: list[Resource], owners: dict[str, str]) -> list[CapacityRow]:
    """The capacity table of this side, on the machines its own inventory setting names."""
    inventory = repository.root / repository.config.inventory if repository.config.inventory else None
    facts = RepositoryFacts(
        owners={entry: (application,) for entry, application in owners.items()},
        cluster=cluster_shape(repository, inventory),
    )
    return capacity_table(ResourceIndex(resources, repository.config, repository=facts))


def _not_rendered(label: str, left_out: list[Finding], owners: dict[str, str]) -> str:
    """One line: the first thing that did not render, and whose it is. Argo CD would fail to sync it, not delete
    what it deploys, so a diff without it would lie."""
    first = left_out[0]
    owner = (
        first.resource.name if first.resource.kind == "Application" else owners.get(Path(first.path).parent.as_posix())
    )
    whose = f" (Application {owner})" if owner else ""
    more = f"; {len(left_out) - 1} more, `invoke validate` lists them" if len(left_out) > 1 else ""
    return (
        f"{label} does not render, so there is nothing honest to compare: {first.path}:{first.line}{whose}: "
        f"{first.rule} {first.message}{more}"
    )


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
