"""What the rules need to know about the checkout beyond its rendered resources, gathered once per run: which
Application deploys each entry, which installs each custom resource kind, which values files and runbooks
exist, what Grafana is provisioned with, what the bootstrap's kubeadm configuration opens, the machines the
inventory names."""

from __future__ import annotations

from pathlib import Path

from gitops_toolkit.core.machines import ClusterShape, InventoryUnreadable, read_inventory
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.core.tree_walk import walk_tree
from gitops_toolkit.gate.rules.cluster.kubeadm_config import kubelet_reservations, opened_components
from gitops_toolkit.gate.rules.gitops.values_files import named_values_files
from gitops_toolkit.gate.rules.observability.grafana import provisioned_datasources
from gitops_toolkit.gate.rules.repository_facts import RepositoryFacts
from gitops_toolkit.render.applications import deployed_entries, is_application
from gitops_toolkit.render.crds.lock import LockedCrd
from gitops_toolkit.render.read.source_files import YAML_SUFFIXES
from gitops_toolkit.render.rendered import Rendered, Repository
from gitops_toolkit.render.upstream_objects import upstream_owners


def _providers(
    resources: list[Resource],
    lock: list[LockedCrd],
    kinds_by_digest: dict[str, set[tuple[str, str]]],
    owners: dict[str, tuple[str, ...]],
) -> dict[tuple[str, str], str]:
    """Which Application installs each custom resource kind: CRDs in the lock, and those Applications render."""
    found = {
        (group, kind): entry.application for entry in lock for group, kind in kinds_by_digest.get(entry.sha256, ())
    }
    for crd in resources:
        spec = crd.obj.get("spec") if crd.kind == "CustomResourceDefinition" else None
        if isinstance(spec, dict) and isinstance(spec.get("names"), dict) and owners.get(crd.entry):
            found.setdefault((str(spec.get("group")), str(spec["names"].get("kind"))), owners[crd.entry][0])
    return found


def _unrendered_projects(repository: Repository, rendered: Rendered) -> frozenset[str]:
    """Names of AppProjects declared in YAML files of the repository that nothing rendered (an entry point skipped
    for a remote resource or a guard finding), so that an Application naming one is not called orphaned."""
    rendered_files = {(repository.root / path).resolve() for path in {resource.path for resource in rendered.resources}}
    names: set[str] = set()
    for directory, _, files in walk_tree(repository.roots, repository.tree.excluded):
        for name in files:
            path = directory / name
            if path.suffix not in YAML_SUFFIXES or path.resolve() in rendered_files:
                continue
            for document in repository.tree.documents(path):
                data = document.data if isinstance(document.data, dict) else {}
                if data.get("kind") == "AppProject" and str(data.get("apiVersion", "")).startswith("argoproj.io/"):
                    names.add(str((data.get("metadata") or {}).get("name", "")))
    return frozenset(names)


def cluster_shape(repository: Repository, inventory: Path | None) -> ClusterShape | None:
    """The machines of the inventory with the kubelet's reservations; None without an inventory to read."""
    if inventory is None:
        return None
    where = repository.tree.relative(inventory) if inventory.is_relative_to(repository.root) else str(inventory)
    cpu, memory = kubelet_reservations(repository.tree, repository.root)
    try:
        machines, registry = read_inventory(inventory)
        return ClusterShape(tuple(machines), cpu, memory, where, platform_registry=registry)
    except InventoryUnreadable as unreadable:
        return ClusterShape((), cpu, memory, where, (unreadable.line, unreadable.message))


def gather_facts(
    repository: Repository,
    rendered: Rendered,
    kinds_by_digest: dict[str, set[tuple[str, str]]],
    inventory: Path | None = None,
) -> RepositoryFacts:
    """`kinds_by_digest`: the custom resource kinds each CRD file (by sha256) defines; `inventory`: the machines
    the capacity rules measure the cluster by."""
    resources, root, tree = rendered.resources, repository.root, repository.tree
    url = repository.config.repository_url
    applications = [resource for resource in resources if is_application(resource)]
    owners: dict[str, tuple[str, ...]] = {}
    for application in applications:
        for entry in deployed_entries(application, url):
            owners[entry] = (*owners.get(entry, ()), application.ref.name)
    return RepositoryFacts(
        url=url,
        path_status=rendered.path_status,
        existing_files=frozenset(named_values_files(resources, tree, root)),
        providers=_providers(resources, repository.crds.lock, kinds_by_digest, owners),
        owners=owners,
        kubeadm_opened=opened_components(tree, root),
        upstream_owners=upstream_owners(root, list(repository.crds.verified.values()), applications, url),
        datasources=provisioned_datasources(resources, tree, root),
        runbooks=frozenset(path.stem for path in (root / "docs" / "runbooks").glob("*.md")),
        unreferenced=frozenset(rendered.unreferenced),
        unrendered_projects=_unrendered_projects(repository, rendered),
        cluster=cluster_shape(repository, inventory),
        incomplete=bool(rendered.left_out(repository)),
    )
