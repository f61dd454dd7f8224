"""`invoke loadtest`: the shopper's journey against the shop (Locust as a library, headless, in a process of its
own), then the verdict against the thresholds. Exit 0 within them, 1 beyond, 2 when it could not run, 130 when
Ctrl-C ended it early (the verdict then covers the run so far). A progress line every few seconds. The
evidence lands in the output directory: Locust's CSV statistics, the samples, and a PNG plot."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.tools.http import unanswered
from gitops_toolkit.tools.python_module import run_module

REPORTS = Path("reports")
INTERRUPTED = 130  # the shell's code for a run ended by Ctrl-C (128 + SIGINT)
_UNITS = {"s": 1, "m": 60, "h": 3600}


def duration_seconds(text: str) -> int:
    """Locust's notation: 30s, 2m, 1h30m."""
    total, number = 0, ""
    for character in text.strip():
        if character.isdigit():
            number += character
        elif character in _UNITS and number:
            total, number = total + int(number) * _UNITS[character], ""
        else:
            raise ToolError(f"--duration {text}: write it as Locust does, e.g. 30s, 2m or 1h30m")
    if number or total <= 0:
        raise ToolError(f"--duration {text}: write it as Locust does, e.g. 30s, 2m or 1h30m")
    return total


def loadtest_command(
    root: Path,
    url: str,
    users: int,
    spawn_rate: float,
    duration: str,
    max_p95_ms: float,
    max_error_rate: float,
    output_dir: str,
    kubeconfig: str = "",
    context: str = "",
) -> int:
    try:
        seconds = duration_seconds(duration)
        if users < 1 or spawn_rate <= 0 or not url.startswith(("http://", "https://")):
            raise ToolError("give --url http(s)://..., --users 1 or more and a positive --spawn-rate")
    except ToolError as error:
        print(f"loadtest: {error}", file=sys.stderr)
        return 2
    output = Path(output_dir) if output_dir else root / REPORTS / time.strftime("loadtest-%Y%m%d-%H%M%S")
    settings = {
        "url": url.rstrip("/"),
        "users": users,
        "spawn_rate": spawn_rate,
        "duration": seconds,
        "output_dir": str(output.resolve()),
        "kubeconfig": kubeconfig,
        "context": context,
    }
    if reason := unanswered(url):
        print(f"loadtest: nothing answers at {url} ({reason}); check --url", file=sys.stderr)
        return 2
    print(f"loadtest: {users} users for {duration} against {url}; evidence in {output}", file=sys.stderr)
    try:
        run = run_module("gitops_toolkit.checks.loadtest.run", settings, seconds + 300, _to_stderr)
    except ToolError as error:
        print(f"loadtest: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # the second Ctrl-C: stopped at once
        print("loadtest: interrupted; the evidence may be incomplete", file=sys.stderr)
        return INTERRUPTED
    if run.result is None:
        print("loadtest: interrupted before the load began; nothing to report", file=sys.stderr)
        return INTERRUPTED
    exceeded = _report(run.result, max_p95_ms, max_error_rate)
    print(f"evidence: {output}/loadtest_stats.csv, loadtest_stats_history.csv, samples.json, loadtest.png")
    if run.interrupted or run.result.get("stopped_early"):
        print("interrupted (Ctrl-C): the verdict above covers the run up to then", file=sys.stderr)
        return INTERRUPTED
    return 1 if exceeded else 0


def _to_stderr(line: str) -> None:
    print(f"loadtest: {line}", file=sys.stderr, flush=True)


def _report(summary: dict[str, Any], max_p95_ms: float, max_error_rate: float) -> bool:
    """Print the verdict; whether a threshold was exceeded."""
    verdicts = [
        ("p95 latency", summary["p95_ms"], max_p95_ms, "ms"),
        ("error rate", summary["error_rate"], max_error_rate, ""),
    ]
    print(f"{summary['requests']} requests, {summary['failures']} failed, {summary['rps']} requests/s")
    exceeded = False
    for name, value, limit, unit in verdicts:
        ok = value <= limit
        exceeded |= not ok
        print(f"{'ok' if ok else 'EXCEEDED'}: {name} {value:g}{unit} (limit {limit:g}{unit})")
    for request, count in sorted(summary["failures_by_request"].items()):
        print(f"  failed: {request} x{count}")
    if not summary["replicas_sampled"]:
        print(f"replicas were not sampled: {summary['cluster_note']}")
    return exceeded
