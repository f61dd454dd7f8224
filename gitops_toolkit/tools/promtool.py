"""The one place that runs promtool (Debian package `prometheus`): rule checks and rule unit tests."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from gitops_toolkit.core.errors import ToolError

INSTALL_HINT = "install it with `apt-get install prometheus` (Debian) or put promtool on PATH"


def promtool() -> str | None:
    return shutil.which("promtool")


def _run(arguments: Sequence[str], directory: Path | None = None) -> subprocess.CompletedProcess[str]:
    binary = promtool()
    if binary is None:
        raise ToolError(f"promtool is not installed; {INSTALL_HINT}")
    try:
        return subprocess.run(
            [binary, *arguments], cwd=directory, capture_output=True, text=True, timeout=120, check=False
        )
    except subprocess.TimeoutExpired:
        raise ToolError("promtool did not finish within 120 s") from None


def check_rule_files(files: Sequence[Path]) -> dict[Path, list[str]]:
    """Problems promtool finds in each Prometheus rule file (PromQL that does not parse, bad durations...)."""
    if not files:
        return {}
    completed = _run(["check", "rules", "--lint=none", *map(str, files)])
    problems: dict[Path, list[str]] = {}
    for line in completed.stderr.splitlines():
        for file in files:
            prefix = f"{file}: "
            if line.startswith(prefix):
                problems.setdefault(file, []).append(line[len(prefix) :].strip())
    if completed.returncode != 0 and not problems:
        raise ToolError(f"promtool check rules failed: {completed.stderr.strip().splitlines()[-1:]}")
    return problems


def test_rule_files(directory: Path, test_files: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """`promtool test rules` in `directory`, where the tests' rule_files are."""
    return _run(["test", "rules", *test_files], directory)
