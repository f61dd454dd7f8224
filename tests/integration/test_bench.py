"""The bench keeps working (its numbers are read by people, not asserted: timings are not test material)."""

from __future__ import annotations

import pytest

from tests.conftest import python_module

pytestmark = pytest.mark.integration


def test_the_bench_runs_and_prints_its_ratios() -> None:
    completed = python_module("tests.bench_gate", "--copies", "2")
    assert completed.returncode == 0, completed.stderr
    assert "entry points: 3, resources: 135, findings: 1, validate exit code: 0" in completed.stdout
    assert "ratio" in completed.stdout and "faster" in completed.stdout
