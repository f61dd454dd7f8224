"""`invoke charts.fetch`: vendor every chart version the Applications pin (gitops-repo/charts/) and pin it in
gitops-repo/charts.lock.yaml, checking each archive against its repository and the lock."""

from __future__ import annotations

import sys
from pathlib import Path

from gitops_toolkit.core.atomic_files import write_atomic
from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.locks.charts.fetch import fetch
from gitops_toolkit.locks.charts.pinned import pinned_charts
from gitops_toolkit.render.charts.lock import ARCHIVE_DIRECTORY, LOCK_FILE, lock_header, read_lock, render_lock


def fetch_command(root: Path, repin: bool = False) -> int:
    try:
        locked = read_lock(root)
        pinned = pinned_charts(root)
        if not pinned:
            raise ToolError(f"no Application under {root / 'gitops-repo'} pins a chart")
        result, entries = fetch(root, pinned, locked, repin=repin)
        write_atomic(root / LOCK_FILE, render_lock(lock_header(root), entries))
    except ToolError as error:
        print(f"charts.fetch: {error}", file=sys.stderr)
        return 2
    print(
        f"{result.written} chart archive(s) written, {result.unchanged} unchanged, all verified, in {ARCHIVE_DIRECTORY}"
        + (f"; {result.added} new chart version(s) pinned" if result.added else "")
        + (f"; {result.repinned} new sha256 recorded" if result.repinned else "")
        + f" in {LOCK_FILE}"
    )
    for entry in result.unused:
        print(f"no Application pins {entry.name} {entry.version} any more: delete {entry.path}")
    return 0
