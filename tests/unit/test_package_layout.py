"""The package stays readable in ten minutes (docs/architecture.md): few entries at its top, small folders, small
modules, each folder saying its job, and no module named for nothing in particular."""

from __future__ import annotations

import ast

from tests.conftest import REPOSITORY

PACKAGE = REPOSITORY / "gitops_toolkit"
MAX_TOP_LEVEL_ENTRIES = 12
MAX_MODULES_PER_FOLDER = 20
MAX_MODULE_LINES = 400
VAGUE_NAMES = {"utils", "util", "helpers", "helper", "misc", "common"}


def _folders() -> list:
    return sorted(path.parent for path in PACKAGE.rglob("__init__.py"))


def test_the_top_level_has_few_entries() -> None:
    entries = [path.name for path in PACKAGE.iterdir() if path.name != "__pycache__"]
    assert len(entries) <= MAX_TOP_LEVEL_ENTRIES, sorted(entries)


def test_no_folder_holds_too_many_modules() -> None:
    crowded = {
        str(folder.relative_to(REPOSITORY)): count
        for folder in _folders()
        if (count := len(list(folder.glob("*.py")))) > MAX_MODULES_PER_FOLDER
    }
    assert not crowded


def test_no_module_is_too_long() -> None:
    long = {
        str(path.relative_to(REPOSITORY)): lines
        for path in PACKAGE.rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long


def test_every_folder_says_its_job_in_a_line_or_two() -> None:
    unsaid = []
    for folder in _folders():
        docstring = ast.get_docstring(ast.parse((folder / "__init__.py").read_text(encoding="utf-8")))
        if not docstring or len(docstring.splitlines()) > 2 or "TODO" in docstring:
            unsaid.append(str(folder.relative_to(REPOSITORY)))
    assert not unsaid


def test_no_module_is_named_for_nothing_in_particular() -> None:
    vague = [str(path.relative_to(REPOSITORY)) for path in PACKAGE.rglob("*.py") if path.stem in VAGUE_NAMES]
    assert not vague
