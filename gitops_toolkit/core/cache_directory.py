"""Where the tools keep what they can recompute: $XDG_CACHE_HOME/gitops-toolkit (default ~/.cache), as JSON
files by kind and key. Best-effort both ways: an unreadable entry is recomputed, an unwritable cache only costs
speed."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from gitops_toolkit.core.atomic_files import write_atomic


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gitops-toolkit"


def read_json(kind: str, key: str) -> Any:
    """The entry stored under `key`, or None when there is none (or it cannot be read)."""
    with contextlib.suppress(OSError, ValueError):
        return json.loads((cache_root() / kind / f"{key}.json").read_text(encoding="utf-8"))
    return None


def write_json(kind: str, key: str, content: Any, keep: int | None = None) -> None:
    """Store `content` under `key`; with `keep`, only that many of the kind's newest entries stay."""
    directory = cache_root() / kind
    with contextlib.suppress(OSError):
        write_atomic(directory / f"{key}.json", json.dumps(content))
        if keep is not None:
            entries = sorted(directory.glob("*.json"), key=lambda path: path.stat().st_mtime, reverse=True)
            for stale in entries[keep:]:
                stale.unlink(missing_ok=True)
