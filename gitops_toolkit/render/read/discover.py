"""Stage 1: find every kustomization to render: each leaf (not used as a base or component by another)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.tree_walk import walk_tree
from gitops_toolkit.render.read.kustomization import KUSTOMIZATION_FILENAMES, KustomizationIndex, Reference
from gitops_toolkit.render.read.source_files import SourceFiles


@dataclass
class Discovery:
    entries: list[Path]
    findings: list[Finding] = field(default_factory=list)
    cyclic: set[Path] = field(default_factory=set)  # directories on a cycle of kustomizations


def discover(tree: SourceFiles, index: KustomizationIndex, roots: Iterable[Path]) -> Discovery:
    directories = [
        tree.real_path(directory)
        for directory, _, files in walk_tree(roots, tree.excluded)
        if any(name in KUSTOMIZATION_FILENAMES for name in files)
    ]
    edges: dict[Path, list[tuple[Path, Reference]]] = {}
    for directory in directories:
        kustomization = index.get(directory)
        for reference in kustomization.references if kustomization is not None else ():
            if reference.composes and not reference.is_remote:
                edges.setdefault(directory, []).append((tree.real_path(directory / reference.value), reference))

    findings: list[Finding] = []
    used: set[Path] = set()
    cyclic: set[Path] = set()
    for directory, targets in edges.items():
        for target, reference in targets:
            if directory in _reachable(target, edges):
                cyclic.update((directory, target))
                findings.append(_cycle_finding(tree, index, directory, target, reference))
            else:
                used.add(target)

    entries: list[Path] = []
    for directory in directories:
        kustomization = index.get(directory)
        if kustomization is None or directory in used:
            continue
        if kustomization.is_component:
            findings.append(
                Finding(
                    tree.relative(kustomization.file),
                    1,
                    "DISCOVER-UNUSED-COMPONENT",
                    "component is not used by any kustomization, so nothing renders or validates it; "
                    "use it from an overlay or delete it",
                )
            )
        else:
            entries.append(directory)
    return Discovery(entries=sorted(entries), findings=findings, cyclic=cyclic)


def _reachable(start: Path, edges: dict[Path, list[tuple[Path, Reference]]]) -> set[Path]:
    seen: set[Path] = set()
    stack = [start]
    while stack:
        directory = stack.pop()
        if directory not in seen:
            seen.add(directory)
            stack.extend(target for target, _ in edges.get(directory, []))
    return seen


def _cycle_finding(
    tree: SourceFiles, index: KustomizationIndex, directory: Path, target: Path, reference: Reference
) -> Finding:
    kustomization = index.get(directory)
    where = tree.relative(kustomization.file) if kustomization is not None else tree.relative(directory)
    loop = "itself" if target == directory else f"{tree.relative(target)}, which leads back to this kustomization"
    return Finding(
        where,
        reference.line,
        "GUARD-KUSTOMIZATION-CYCLE",
        f"{reference.field} `{reference.value}` includes {loop}; kustomize refuses cycles, so nothing here "
        "renders: remove the reference",
    )
