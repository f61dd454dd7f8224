"""Work beside rendering (gate/beside.py): it runs in a forked child and its result comes back; a child that
dies has the work done in the parent instead; a failure is raised in the parent, naming the stage."""

from __future__ import annotations

import os
import time

import pytest

from gitops_toolkit.gate.beside import Beside


def test_the_result_comes_back_from_another_process_with_its_seconds() -> None:
    seconds: dict[str, float] = {}
    assert Beside(os.getpid, seconds, "scan").result() != os.getpid()
    assert seconds["scan"] >= 0


def test_a_child_that_dies_leaves_the_work_to_the_parent() -> None:
    parent = os.getpid()

    def work() -> str:
        if os.getpid() != parent:
            os._exit(3)  # killed, out of memory: no result on the pipe
        return "done here"

    assert Beside(work, {}, "scan").result() == "done here"


def test_a_failure_in_the_child_is_raised_in_the_parent() -> None:
    def work() -> None:
        raise ValueError("bad input")

    with pytest.raises(RuntimeError, match="scan failed in its process: ValueError: bad input"):
        Beside(work, {}, "scan").result()


def test_a_niceness_lowers_the_childs_priority_only() -> None:
    ours = os.nice(0)
    assert Beside(lambda: os.nice(0), {}, "scan", niceness=5).result() == min(ours + 5, 19)
    assert os.nice(0) == ours


def test_a_child_that_hangs_is_given_up_on_and_the_parent_does_the_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gitops_toolkit.gate.beside._MAX_WAIT_SECONDS", 0.5)
    parent = os.getpid()

    def work() -> str:
        if os.getpid() != parent:
            time.sleep(30)  # stuck; the parent kills it
        return "done here"

    started = time.monotonic()
    assert Beside(work, {}, "scan").result() == "done here"
    assert time.monotonic() - started < 10
