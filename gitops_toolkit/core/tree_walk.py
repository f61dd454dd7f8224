"""Walking the repository's folders as the tools read them: never through a symlink, never into .git."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path


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
