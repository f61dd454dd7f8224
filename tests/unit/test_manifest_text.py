"""Reading machine-written manifests without parsing them: a YAML stream split into its documents exactly where
a `---` line stands (YAML's document marker, `^---[ \\t]*$`), as a regular expression over the lines says."""

from __future__ import annotations

import random
import re

import pytest

from gitops_toolkit.render.read.manifest_text import split_documents

MARKER_LINE = re.compile(r"^---[ \t]*$", re.MULTILINE)


@pytest.mark.parametrize(
    ("text", "documents"),
    [
        ("a: 1\n---\nb: 2\n", ["a: 1\n", "\nb: 2\n"]),
        ("---\na: 1\n", ["", "\na: 1\n"]),
        ("a: 1\n--- \t\nb: 2", ["a: 1\n", "\nb: 2"]),
        ("a: '---'\nb: ---x\n", ["a: '---'\nb: ---x\n"]),
        ("a: 1\n---", ["a: 1\n", ""]),
        ("", [""]),
    ],
)
def test_a_stream_splits_at_its_marker_lines_only(text: str, documents: list[str]) -> None:
    assert split_documents(text) == documents


def test_every_stream_splits_where_a_marker_line_stands() -> None:
    pieces = ["---", "\n", " ", "\t", "a", "-", "\r", "--- x"]
    generator = random.Random(26)
    for _ in range(5000):
        text = "".join(generator.choice(pieces) for _ in range(generator.randint(0, 16)))
        assert split_documents(text) == MARKER_LINE.split(text), repr(text)
