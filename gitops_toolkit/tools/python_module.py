"""Running one of this package's modules in a Python process of its own, for work that must not share ours
(Locust's gevent patches the standard library of the process it runs in): settings as JSON on its standard
input; JSON lines on its standard output, `{"progress": "..."}` while it works and `{"result": ...}` at the end.

Ctrl-C asks the module to stop early (SIGINT, passed on when only this process got it) and still waits for the
result it then writes: what ran so far is kept. A second Ctrl-C stops it at once."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gitops_toolkit.core.errors import ToolError

# How long a module asked to stop early may take to write what it has (its last statistics, a plot).
_STOP_GRACE_SECONDS = 60.0
_END = object()


@dataclass(frozen=True)
class ModuleRun:
    result: Any  # None when it was stopped before it could write one
    interrupted: bool  # Ctrl-C stopped it early


def _read_events(stream: Any, events: queue.Queue[Any]) -> None:
    for line in stream:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue  # a library's own print: not ours to parse
        if isinstance(event, dict):
            events.put(event)
    events.put(_END)


class _StopRequests:
    """SIGINT while the module runs. The first asks it to stop early, wherever our own code was at the time (a
    KeyboardInterrupt raised mid-print would lose the result); the second raises KeyboardInterrupt."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.requested = 0.0  # when the first came (monotonic), 0 before

    def on_sigint(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = time.monotonic()
        self.process.send_signal(signal.SIGINT)


def run_module(
    module: str, settings: dict[str, Any], timeout_seconds: float, on_progress: Callable[[str], None] = print
) -> ModuleRun:
    """The module's result; ToolError when it failed, printed none or did not end within the time."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", module],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(json.dumps(settings))
        process.stdin.close()
        events: queue.Queue[Any] = queue.Queue()
        threading.Thread(target=_read_events, args=(process.stdout, events), daemon=True).start()
        result, ended = None, False
        stop = _StopRequests(process)
        deadline = time.monotonic() + timeout_seconds
        previous_handler = signal.signal(signal.SIGINT, stop.on_sigint)
        try:
            while not ended and (remaining := deadline - time.monotonic()) > 0:
                if stop.requested:
                    deadline = min(deadline, stop.requested + _STOP_GRACE_SECONDS)
                try:
                    event = events.get(timeout=min(remaining, 1.0))
                except queue.Empty:
                    continue
                if event is _END:
                    ended = True
                elif "progress" in event:
                    on_progress(str(event["progress"]))
                elif "result" in event:
                    result = event["result"]
        finally:
            signal.signal(signal.SIGINT, previous_handler)
            try:
                process.wait(timeout=10 if ended else 0)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            process.stdout.close()
        interrupted = bool(stop.requested)
        if result is None and not interrupted:
            if not ended:
                raise ToolError(f"the run did not end within {timeout_seconds:g} s")
            errors.seek(0)
            last = [line for line in errors.read().splitlines() if line.strip()][-1:] or ["no output"]
            raise ToolError(f"the run failed: {last[0].strip()}")
        return ModuleRun(result, interrupted)
