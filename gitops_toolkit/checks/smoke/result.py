"""One check's outcome, as every smoke check and drill reports it: an ID, a status, how long it took, what was
found, and the fix to try when it failed."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.tools.cluster_api import ClusterUnreachable

PASS, FAIL = "pass", "fail"
_SHOWN = 5  # names listed in a failure line before "and N more"


@dataclass(frozen=True)
class CheckResult:
    id: str
    status: str  # PASS or FAIL
    seconds: float
    detail: str  # what was found (the failing objects, with their reasons)
    fix: str = ""  # what to try when it fails


def listed(found: list[str]) -> str:
    more = f" and {len(found) - _SHOWN} more" if len(found) > _SHOWN else ""
    return "; ".join(found[:_SHOWN]) + more


def timed(check_id: str, passed: str, fix: str, judge: Callable[[], list[str]]) -> CheckResult:
    """Run `judge` (the problems it finds; none is a pass). A request the cluster (or another service) refused
    fails the check; ClusterUnreachable propagates, since then no check can say anything."""
    started = time.monotonic()
    try:
        problems = judge()
    except ClusterUnreachable:
        raise
    except ToolError as error:
        problems = [str(error)]
    seconds = round(time.monotonic() - started, 3)
    if problems:
        return CheckResult(check_id, FAIL, seconds, listed(problems), fix)
    return CheckResult(check_id, PASS, seconds, passed)
