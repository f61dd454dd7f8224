"""The one place that runs git."""

from __future__ import annotations

import subprocess
from pathlib import Path


def committable_files(root: Path) -> list[Path] | None:
    """Files git tracks or would add under `root` (untracked but not ignored), or None outside a work tree."""
    try:
        completed = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if completed.returncode != 0:
        return None
    names = completed.stdout.decode("utf-8", errors="surrogateescape").split("\0")
    return sorted({root / name for name in names if name})
