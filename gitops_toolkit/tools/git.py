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


def origin_url(root: Path) -> str:
    """The URL of the `origin` remote of the work tree at `root`, or "" when there is none."""
    try:
        completed = subprocess.run(
            ["git", "-C", str(root), "remote", "get-url", "origin"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return completed.stdout.strip() if completed.returncode == 0 else ""
