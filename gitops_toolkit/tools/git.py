"""The one place that runs git."""

from __future__ import annotations

import subprocess
from pathlib import Path

from gitops_toolkit.core.errors import ToolError


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


class GitError(ToolError):
    """git refused; the message is its first line of complaint."""


def git(root: Path, *arguments: str, timeout: float = 120) -> str:
    """Run git in `root`; its standard output, or GitError naming what failed."""
    try:
        completed = subprocess.run(
            ["git", "-C", str(root), *arguments], capture_output=True, text=True, check=False, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise GitError(f"git {arguments[0]} did not finish within {timeout:g} s") from None
    except OSError as error:
        raise GitError(f"cannot run git ({error.strerror})") from None
    if completed.returncode != 0:
        lines = [line for line in (completed.stderr or completed.stdout).splitlines() if line.strip()]
        complaint = next(
            (line for line in lines if line.startswith(("error:", "fatal:", " ! "))), lines[0] if lines else ""
        )
        raise GitError(f"git {arguments[0]}: {complaint.strip() or f'exit {completed.returncode}'}")
    return completed.stdout
