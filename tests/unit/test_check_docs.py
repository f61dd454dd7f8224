"""docs/checks.md documents every check `invoke smoke` and `invoke drill` can report, and nothing else."""

from __future__ import annotations

import re

from gitops_toolkit.checks.drill.command import DRILLS
from tests.conftest import REPOSITORY

# A check's ID is the first argument of `timed(...)` or `CheckResult(...)`; a drill that fails reports DRILL-NAME.
_REPORTED = re.compile(r"(?:timed|CheckResult)\(\s*\"([A-Z0-9-]+)\"")


def test_every_check_id_is_documented_and_every_documented_one_exists() -> None:
    sources = [
        *(REPOSITORY / "gitops_toolkit" / "checks" / "smoke").glob("*.py"),
        *(REPOSITORY / "gitops_toolkit" / "checks" / "drill").glob("*.py"),
    ]
    reported = {match for path in sources for match in _REPORTED.findall(path.read_text(encoding="utf-8"))}
    reported |= {f"DRILL-{name.upper()}" for name in DRILLS}
    documented = set(re.findall(r"`([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)`", (REPOSITORY / "docs" / "checks.md").read_text()))
    assert len(reported) >= 17
    assert reported == documented
