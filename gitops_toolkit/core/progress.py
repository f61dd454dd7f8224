"""A progress display for people at a terminal; silent everywhere else."""

from __future__ import annotations

import sys
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
