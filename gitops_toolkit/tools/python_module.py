"""Running one of this package's modules in a Python process of its own, for work that must not share ours
(Locust's gevent patches the standard library of the process it runs in): settings as JSON on its standard
input, its result as the last line of its standard output, in JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from gitops_toolkit.core.errors import ToolError


def run_module(module: str, settings: dict[str, Any], timeout_seconds: float) -> Any:
    """The result the module printed last; ToolError when it did not end in time, failed or printed nothing."""
    try:
        completed = subprocess.run(
            [sys.executable, "-m", module],
            input=json.dumps(settings),
            capture_output=True,
            text=True,
            timeout=timeout_seconds,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ToolError(f"the run did not end within {timeout_seconds} s") from None
    lines = completed.stdout.strip().splitlines()
    if completed.returncode != 0 or not lines:
        last = [line for line in completed.stderr.splitlines() if line.strip()][-1:] or ["no output"]
        raise ToolError(f"the run failed: {last[0].strip()}")
    return json.loads(lines[-1])
