"""`invoke crds.fetch`: download and verify the pinned CRDs into the cache the gate reads by default."""

from __future__ import annotations

import sys
from pathlib import Path

from gitops_toolkit.crd_lock import cache_directory, fetch, read_lock
from gitops_toolkit.errors import ToolError


def fetch_command(root: Path) -> int:
    try:
        entries = read_lock(root)
        if not entries:
            raise ToolError(f"{root}/gitops-repo/crds.lock.yaml lists no CRDs")
        destination = cache_directory()
        downloaded, present = fetch(entries, destination)
    except ToolError as error:
        print(f"crds.fetch: {error}", file=sys.stderr)
        return 2
    print(f"{downloaded} CRD file(s) downloaded, {present} already present, all verified, in {destination}")
    return 0
