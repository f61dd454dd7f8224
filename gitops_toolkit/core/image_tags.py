"""What an image reference may be set to: something that names one build forever. A commit SHA (what CI
tags with), an exact version, or a digest; never `latest` or a tag that moves (`v1`, `1.2`, `main`)."""

from __future__ import annotations

import re

COMMIT_SHA = re.compile(r"^[0-9a-f]{40}$")
EXACT_VERSION = re.compile(r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


def tag_problem(tag: str) -> str:
    """Why `tag` cannot be deployed ("" when it can)."""
    if COMMIT_SHA.fullmatch(tag) or EXACT_VERSION.fullmatch(tag) or DIGEST.fullmatch(tag):
        return ""  # fullmatch: `$` alone would let a trailing newline through
    if tag != tag.strip():
        return f"`{tag!r}` has surrounding whitespace or a newline; give the tag alone"
    if tag == "latest":
        return "`latest` moves with every push: nothing says what runs, and a rollback is impossible"
    return (
        f"`{tag}` is not a 40-hex commit SHA, an exact version (1.2.3, v1.2.3-rc.1) or a sha256: digest; "
        "a tag that can move is refused"
    )


def is_digest(tag: str) -> bool:
    return bool(DIGEST.fullmatch(tag))
