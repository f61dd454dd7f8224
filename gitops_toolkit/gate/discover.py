"""Stage 1: find every kustomization to render: each leaf (not used as a base or component by another)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from gitops_toolkit.gate.findings import Finding
from gitops_toolkit.gate.kustomization import KUSTOMIZATION_FILENAMES, KustomizationIndex
from gitops_toolkit.gate.source_files import SourceFiles


@dataclass
class Discovery:
    entries: list[Path]
    findings: list[Finding] = field(default_factory=list)


def walk_tree(
    roots: Iterable[Path], excluded: frozenset[Path] = frozenset()
) -> Iterator[tuple[Path, list[str], list[str]]]:
    """os.walk over each existing root without following symlinks or entering .git or `excluded`."""
    for root in roots:
        if not root.is_dir():
            continue
        for directory, subdirectories, files in os.walk(root, followlinks=False):
            subdirectories[:] = sorted(
                name for name in subdirectories if name != ".git" and Path(directory, name) not in excluded
            )
            yield Path(directory), subdirectories, sorted(files)


def discover(tree: SourceFiles, index: KustomizationIndex, roots: Iterable[Path]) -> Discovery:
    directories = [
        directory.resolve()
        for directory, _, files in walk_tree(roots, tree.excluded)
        if any(name in KUSTOMIZATION_FILENAMES for name in files)
    ]
    used: set[Path] = set()
    for directory in directories:
        kustomization = index.get(directory)
        if kustomization is None:
            continue
        for reference in kustomization.references:
            if reference.composes and not reference.is_remote:
                used.add((directory / reference.value).resolve())

    entries: list[Path] = []
    findings: list[Finding] = []
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
    return Discovery(entries=sorted(entries), findings=findings)
