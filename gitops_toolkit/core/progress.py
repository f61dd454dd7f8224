"""How far a run has got: a progress display for people at a terminal (silent everywhere else), and the seconds
spent per stage, added up in a plain dict (what `nox -s bench` prints)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol


class Progress(Protocol):
    def stage(self, description: str, total: int | None = None) -> None: ...
    def advance(self, *_: Any) -> None: ...
    def close(self) -> None: ...


class SilentProgress:
    def stage(self, description: str, total: int | None = None) -> None:
        pass

    def advance(self, *_: Any) -> None:
        pass

    def close(self) -> None:
        pass


class TerminalProgress:
    """One line on stderr showing the current stage and, while rendering, how many entries are done."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task("starting", total=None)

    def stage(self, description: str, total: int | None = None) -> None:
        self._progress.reset(self._task, description=description, total=total, completed=0)

    def advance(self, *_: Any) -> None:
        self._progress.advance(self._task)

    def close(self) -> None:
        self._progress.stop()


def progress_for_terminal() -> Progress:
    return TerminalProgress() if sys.stderr.isatty() else SilentProgress()


@contextmanager
def timed(seconds: dict[str, float], stage: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - started
