"""The gate on trees in the shape of public GitOps repositories (tests/corpus/): no crash, every planted problem
reported at its file and line, and nothing else reported as an error or a warning (a false alarm fails as
surely as a miss); what cannot be checked offline is said as info."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

import tests.corpus
from tests.conftest import gate
from tests.corpus.shapes import Case

pytestmark = pytest.mark.integration
Tree = Callable[[dict[str, str | bytes]], Path]


def _cases() -> dict[str, Case]:
    cases: dict[str, Case] = {}
    for module in pkgutil.iter_modules(tests.corpus.__path__):
        if module.name == "shapes":
            continue
        loaded = importlib.import_module(f"tests.corpus.{module.name}")
        cases.update({f"{module.name}: {name}": case for name, case in loaded.CASES.items()})
    return cases


CASES = _cases()


@pytest.mark.parametrize("name", sorted(CASES), ids=sorted(CASES))
def test_the_gate_reports_what_is_planted_and_nothing_else(name: str, write_tree: Tree) -> None:
    case = CASES[name]
    root = write_tree(dict(case.files))
    for command in (["init", "-q"], ["remote", "add", "origin", case.origin]):
        subprocess.run(["git", "-C", str(root), *command], check=True, capture_output=True)
    result = gate(root)
    reported = {(f.rule, f.path, f.line) for f in result.findings if f.severity.value != "info"}
    said = {(f.rule, f.path) for f in result.findings if f.severity.value == "info"}
    messages = "\n".join(f"{f.path}:{f.line}: {f.rule} {f.message}" for f in result.findings)
    assert reported == case.reported, messages
    assert case.said <= said, messages
