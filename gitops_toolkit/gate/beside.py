"""Work that runs beside rendering in a forked child process, so that its Python CPU time (the secret scan's
detectors, most of a cold run) does not take turns with this process's threads for the GIL. A fork copies the
repository already read, so nothing is pickled on the way in; only the result comes back, through a pipe.
Where the platform cannot fork, or the child dies, the work runs in this process instead."""

from __future__ import annotations

import multiprocessing
import os
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

T = TypeVar("T")
_MAX_WAIT_SECONDS = 900.0  # far above any child's work on a big repository; then the parent does the work


def _child(function: Callable[[], Any], sender: Connection, niceness: int) -> None:
    started = time.perf_counter()
    if niceness:
        os.nice(niceness)
    try:
        sender.send(("ok", function(), time.perf_counter() - started))
    except BaseException as error:  # sent to the parent, which raises it there
        sender.send(("error", f"{type(error).__name__}: {error}\n{traceback.format_exc()}", 0.0))
    finally:
        sender.close()


class Beside(Generic[T]):
    """`function()` started now in a forked child; `result()` waits for it (the seconds it took go under
    `stage` in `seconds`). A positive `niceness` lowers the child's priority: work wanted late gives way."""

    def __init__(self, function: Callable[[], T], seconds: dict[str, float], stage: str, niceness: int = 0) -> None:
        self._function, self._seconds, self._stage = function, seconds, stage
        self._process: Any = None
        if "fork" in multiprocessing.get_all_start_methods():
            receiver, sender = multiprocessing.get_context("fork").Pipe(duplex=False)
            self._receiver = receiver
            # Callers start it while no other Python thread runs: the child holds no lock a thread held.
            self._process = multiprocessing.get_context("fork").Process(
                target=_child, args=(function, sender, niceness)
            )
            self._process.start()
            sender.close()

    def result(self) -> T:
        if self._process is None:
            return self._here()
        try:
            if not self._receiver.poll(_MAX_WAIT_SECONDS):  # a child that hangs is as good as dead
                self.stop()
                raise EOFError
            status, value, seconds = self._receiver.recv()
        except (EOFError, OSError):  # the child died (killed, out of memory): do the work here
            status = "died"
        finally:
            self._receiver.close()
            self._process.join(timeout=10)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(timeout=10)
        if status == "ok":
            self._seconds[self._stage] = seconds
            return value  # type: ignore[no-any-return]
        if status == "error":
            raise RuntimeError(f"{self._stage} failed in its process: {value}")
        return self._here()

    def _here(self) -> T:
        started = time.perf_counter()
        value = self._function()
        self._seconds[self._stage] = time.perf_counter() - started
        return value

    def stop(self) -> None:
        """End the child if the run ends without waiting for it (an error elsewhere)."""
        if self._process is not None and self._process.is_alive():
            self._process.kill()
            self._process.join(timeout=10)
