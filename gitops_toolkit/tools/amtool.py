"""The one place that runs amtool (Debian package `prometheus-alertmanager`)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from gitops_toolkit.core.errors import ToolError

INSTALL_HINT = "install it with `apt-get install prometheus-alertmanager` (Debian) or put amtool on PATH"


def _run(arguments: Sequence[str]) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("amtool")
    if binary is None:
        raise ToolError(f"amtool is not installed; {INSTALL_HINT}")
    try:
        return subprocess.run([binary, *arguments], capture_output=True, text=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        raise ToolError("amtool did not finish within 60 s") from None


def check_config(config_file: Path) -> tuple[bool, str]:
    completed = _run(["check-config", str(config_file)])
    return completed.returncode == 0, (completed.stdout + completed.stderr).strip()


def resolved_receivers(config_file: Path, labels: Mapping[str, str]) -> list[str]:
    """The receivers Alertmanager's routing tree picks for an alert with these labels."""
    completed = _run(
        [
            "config",
            "routes",
            "test",
            f"--config.file={config_file}",
            *(f"{name}={value}" for name, value in labels.items()),
        ]
    )
    if completed.returncode != 0:
        raise ToolError(f"amtool could not test the routes: {completed.stderr.strip()}")
    return [name.strip() for name in completed.stdout.strip().split(",") if name.strip()]
