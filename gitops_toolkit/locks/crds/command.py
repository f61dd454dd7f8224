"""`invoke crds.fetch`: refresh the vendored CRDs (gitops-repo/crds/) from the URLs the lock pins."""

from __future__ import annotations

import sys
from pathlib import Path

from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.locks.crds.fetch import fetch
from gitops_toolkit.render.crds.lock import LOCK_FILE, VENDORED_DIRECTORY, read_lock


def fetch_command(root: Path, repin: bool = False) -> int:
    try:
        entries = read_lock(root)
        if not entries:
            raise ToolError(f"{root / LOCK_FILE} lists no CRDs")
        result = fetch(root, entries, repin=repin)
    except ToolError as error:
        print(f"crds.fetch: {error}", file=sys.stderr)
        return 2
    print(
        f"{result.written} CRD file(s) written, {result.unchanged} unchanged, all verified, in {VENDORED_DIRECTORY}"
        + (f"; {result.repinned} new sha256 recorded in {LOCK_FILE}" if result.repinned else "")
    )
    return 0
