"""Waiting for the cluster to reach a state: polled, bounded in time and in the number of polls, timed."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from gitops_toolkit.core.errors import ToolError


class DrillTimeout(ToolError):
    """What was awaited did not happen in time; says what was last seen."""


@dataclass(frozen=True)
class Clock:
    timeout: float  # seconds each wait may take
    poll: float = 2.0  # seconds between two looks

    def wait_for(self, what: str, state: Callable[[], str]) -> float:
        """Poll `state` (what is wrong now, "" once `what` holds) until it holds; the seconds it took."""
        started = time.monotonic()
        seen = ""
        for _ in range(int(self.timeout / self.poll) + 2):
            seen = state()
            if not seen:
                return round(time.monotonic() - started, 1)
            if time.monotonic() - started >= self.timeout:
                break
            time.sleep(self.poll)
        raise DrillTimeout(f"{what}: not within {self.timeout:g} s (last seen: {seen})")
