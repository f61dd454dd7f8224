"""Manifests nothing names: YAML and JSON files of Kubernetes objects that no kustomization and no Argo CD Application
reads (Flux's `clusters/<env>/`, folders meant for `kubectl apply -f`). They are read on their own, a folder an
entry point, as `kubectl apply -f <folder>` would apply them, so that what is wrong there is reported too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gitops_toolkit.core.bounded_yaml import YamlRejected
from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.core.tree_walk import walk_tree
from gitops_toolkit.render.read.kustomization import KUSTOMIZATION_FILENAMES, files_kustomize_reads
from gitops_toolkit.render.read.parse import document_objects
from gitops_toolkit.render.read.source_files import YAML_SUFFIXES, in_a_chart
from gitops_toolkit.render.rendered import Rendered, Repository

# Configuration files written like objects, read by tools rather than applied to an API server.
_CONFIGURATION_GROUPS = (
    "kubeadm.k8s.io",
    "kind.x-k8s.io",
    "kustomize.config.k8s.io",
    "kubelet.config.k8s.io",
    "kubeproxy.config.k8s.io",
    "kubescheduler.config.k8s.io",
    "apiserver.config.k8s.io",
    "apiserver.k8s.io",
    "audit.k8s.io",
    "config.kubernetes.io",
    "kpt.dev",
    "skaffold",
    "ctlptl.dev",
    "k3d.io",
)


def _is_object(data: Any) -> bool:
    """A document the API server would take: apiVersion and kind, and not a tool's configuration file."""
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("kind"), str)
        or not isinstance(data.get("apiVersion"), str)
    ):
        return False
    group = data["apiVersion"].rpartition("/")[0]
    if data["apiVersion"] == "v1" and data["kind"] in ("Config", "Policy"):
        return False  # a kubeconfig, or kube-scheduler's legacy policy file
    return not any(
        group == name or group.endswith(f".{name}") or group.startswith(name) for name in _CONFIGURATION_GROUPS
    )


def unreferenced_manifests(repository: Repository, rendered: Rendered) -> dict[Path, list[Path]]:
    """Folders (without a kustomization) of manifest files nothing has read yet, with those files."""
    tree = repository.tree
    read = files_kustomize_reads(repository.kustomizations, repository.roots, tree.excluded)
    read |= {(repository.root / path).resolve() for path in {r.path for r in rendered.resources}}
    found: dict[Path, list[Path]] = {}
    for directory, _, files in walk_tree(repository.roots, tree.excluded):
        if any(name in KUSTOMIZATION_FILENAMES for name in files) or in_a_chart(directory, repository.root):
            continue
        for name in files:
            path = directory / name
            if path.suffix not in (*YAML_SUFFIXES, ".json") or path.resolve() in read:
                continue
            loaded = tree.load(path)
            if not isinstance(loaded, YamlRejected) and loaded and all(_is_object(d.data) for d in loaded):
                found.setdefault(directory, []).append(path)
    return found


def _groups(folders: list[Path], root: Path) -> dict[Path, list[Path]]:
    """Folders checked together: sibling folders (an app's `frontend/`, `backend/` and `common/`) under their
    parent, and a folder nested in another one with that one's group (`vllm/` and `vllm/hpa/`)."""
    groups: dict[Path, list[Path]] = {}
    for folder in sorted(folders, key=lambda f: len(f.parts)):
        owner = next(
            (group for group, members in groups.items() if any(folder.is_relative_to(m) for m in members)), None
        )
        key = owner or (folder.parent if folder.parent != root and folder != root else folder)
        groups.setdefault(key, []).append(folder)
    return groups


def read_unreferenced(repository: Repository, rendered: Rendered) -> None:
    """Read the unreferenced manifests into `rendered`, a group of folders an entry point, and say so."""
    tree = repository.tree
    found = unreferenced_manifests(repository, rendered)
    for group, folders in sorted(_groups(list(found), repository.root).items()):
        entry = tree.relative(group)
        rendered.unreferenced.add(entry)
        files = [path for folder in sorted(folders) for path in found[folder]]
        for path in files:
            relative = tree.relative(path)
            rendered.resources += [
                Resource(obj.data, entry, relative, obj.line, obj)
                for document in tree.documents(path)
                for obj in document_objects(document)
                if isinstance(obj.data, dict)
            ]
        rendered.findings.append(
            Finding(
                tree.relative(files[0]),
                1,
                "COVERAGE-UNREFERENCED",
                f"no kustomization and no Argo CD Application names the manifests in {entry}/ "
                f"({', '.join(tree.relative(folder) for folder in sorted(folders))}); they are checked together, "
                f"as `kubectl apply -R -f {entry}` would apply them",
            )
        )
