"""Defects (and valid changes) planted in a copy of the repository: small edits a test applies before it runs
the gate on the copy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

Plant = Callable[[Path], None]


def replace(path: str, old: str, new: str | Callable[[], str] = "") -> Plant:
    """Replace the first `old` in the file by `new` (text, or made at plant time); `old` must be there."""

    def plant(root: Path) -> None:
        target = root / path
        content = target.read_text(encoding="utf-8")
        assert old in content, f"{old!r} not in {path}"
        target.write_text(content.replace(old, new if isinstance(new, str) else new(), 1), encoding="utf-8")

    return plant


def append(path: str, text: str) -> Plant:
    def plant(root: Path) -> None:
        with (root / path).open("a", encoding="utf-8") as handle:
            handle.write(text)

    return plant


def write(path: str, content: Callable[[], str]) -> Plant:
    def plant(root: Path) -> None:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(content(), encoding="utf-8")

    return plant


def both(*plants: Plant) -> Plant:
    def plant(root: Path) -> None:
        for step in plants:
            step(root)

    return plant
