"""`invoke drill NAME`: one operational drill against the running cluster, reported as the smoke test reports
(a diagnostics bundle when it fails). Exit 0 passed, 1 failed or timed out, 2 could not run, 130 interrupted;
in every case the drill has undone what it did."""

from __future__ import annotations

import contextlib
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from gitops_toolkit.checks.drill.alert import alert
from gitops_toolkit.checks.drill.canary import PROD_OVERLAY, canary
from gitops_toolkit.checks.drill.drift import drift
from gitops_toolkit.checks.drill.rollout import rollout
from gitops_toolkit.checks.drill.selfheal import selfheal
from gitops_toolkit.checks.drill.settings import DEFAULT_TIMEOUTS, DrillSettings
from gitops_toolkit.checks.drill.waiting import Clock, DrillTimeout
from gitops_toolkit.checks.smoke.outcome import conclude, format_problem
from gitops_toolkit.checks.smoke.result import FAIL, CheckResult
from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.tools.cluster_api import ClusterApi, ClusterError, ClusterUnreachable
from gitops_toolkit.tools.kubectl_cluster import connect

# Each drill yields a result per stage as it passes, so a later failure keeps the earlier passes.
DRILLS: dict[str, Callable[[DrillSettings], Iterator[CheckResult]]] = {
    "selfheal": selfheal,
    "drift": drift,
    "rollout": rollout,
    "alert": alert,
    "canary": canary,
}
INTERRUPTED = 130
DEV_OVERLAY = Path("gitops-repo") / "apps" / "online-boutique" / "overlays" / "dev"


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a CI job cancelled) unwinds like Ctrl-C, so every drill's clean-up runs."""

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def drill_command(
    root: Path,
    name: str,
    timeout: float,
    kubeconfig: str = "",
    context: str = "",
    output_format: str = "text",
    overlay: str = "",
    service: str = "frontend",
    tag: str = "",
    namespace: str = "online-boutique",
    bad_tag: str = "",
    poll_seconds: float = 2.0,
    connect_to: Callable[[str, str], ClusterApi] = connect,
) -> int:
    if name not in DRILLS:
        print(f"drill: {name!r} is not a drill; choose one of {', '.join(DRILLS)}", file=sys.stderr)
        return 2
    if problem := format_problem(output_format) or ("--timeout must not be negative" if timeout < 0 else ""):
        print(f"drill: {problem}", file=sys.stderr)
        return 2
    suite = f"drill {name}"
    try:
        with contextlib.closing(connect_to(kubeconfig, context)) as cluster:
            settings = DrillSettings(
                cluster=cluster,
                clock=Clock(timeout or DEFAULT_TIMEOUTS[name], poll_seconds),
                namespace=namespace,
                overlay=Path(overlay) if overlay else root / (PROD_OVERLAY if name == "canary" else DEV_OVERLAY),
                service=service,
                tag=tag,
                bad_tag=bad_tag,
            )
            results: list[CheckResult] = []
            started = time.monotonic()
            try:
                # Progress lines go to stderr: stdout carries the report alone (json and junit included).
                with _terminate_as_interrupt(), contextlib.redirect_stdout(sys.stderr):
                    results.extend(DRILLS[name](settings))
            except (DrillTimeout, ClusterError) as error:
                fix = "the diagnostics bundle holds the events and logs; `invoke smoke` says what else is wrong"
                seconds = round(time.monotonic() - started - sum(result.seconds for result in results), 1)
                results.append(CheckResult(f"DRILL-{name.upper()}", FAIL, seconds, str(error), fix))
            return conclude(root, suite, cluster, results, output_format, "")
    except KeyboardInterrupt:
        print(f"{suite}: interrupted; what the drill changed was undone", file=sys.stderr)
        return INTERRUPTED
    except ClusterUnreachable as error:
        print(f"{suite}: {error}", file=sys.stderr)
        return 2
    except ToolError as error:
        print(f"{suite}: {error}", file=sys.stderr)
        return 2
