"""What a change touches (`invoke validate --changed-since REF`): the files that differ from REF, and the entry
points whose closure reads one of them. Those are rendered again (the render cache keys on their content); the
others come from the cache when it holds them. Every entry point's findings are still reported: a shared base
that changed is every overlay's change, and a finding elsewhere still blocks the merge."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gitops_toolkit.render.read.source_files import SourceFiles
from gitops_toolkit.tools.git import changed_since

_SHOWN = 5


@dataclass(frozen=True)
class ChangedScope:
    ref: str
    files: frozenset[str]  # relative to the repository
    entries: dict[str, list[str]]  # entry point (relative): the changed files its closure reads


def changed_scope(root: Path, ref: str, tree: SourceFiles, read_files: dict[Path, frozenset[str]]) -> ChangedScope:
    files = frozenset(changed_since(root, ref))
    touched = {tree.relative(entry): sorted(read & files) for entry, read in read_files.items() if read & files}
    return ChangedScope(ref, files, touched)


def changed_note(scope: ChangedScope) -> str:
    """One line for the run's summary: what changed since REF and which entry points use it."""
    if not scope.files:
        return f"since {scope.ref}: nothing changed"
    listed = "; ".join(f"{entry} ({', '.join(files)})" for entry, files in sorted(scope.entries.items())[:_SHOWN])
    more = f"; and {len(scope.entries) - _SHOWN} more" if len(scope.entries) > _SHOWN else ""
    used = f"entry point(s) using them: {listed}{more}" if scope.entries else "no kustomize entry point reads them"
    return f"since {scope.ref}: {len(scope.files)} file(s) changed; {used}"
