"""git for the tests that build repositories of their own (remotes, forks, checkouts)."""

from __future__ import annotations

import subprocess
from pathlib import Path

IDENTITY = ("-c", "user.name=Dev", "-c", "user.email=dev@example.invalid")


def git(cwd: Path, *arguments: str) -> str:
    """git's standard output; the test fails with git's complaint when it refuses."""
    completed = subprocess.run(["git", *IDENTITY, *arguments], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout
