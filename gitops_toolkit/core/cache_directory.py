"""Where the tools keep what they can recompute: $XDG_CACHE_HOME/gitops-toolkit (default ~/.cache), as JSON
files by kind and key. Best-effort both ways: an unreadable entry is recomputed, an unwritable cache only costs
speed."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from gitops_toolkit.core.atomic_files import write_atomic

# What this process read from or wrote to the cache, by (kind, key): a shard exports only those.
_touched: set[tuple[str, str]] = set()


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gitops-toolkit"


def read_json(kind: str, key: str) -> Any:
    """The entry stored under `key`, or None when there is none (or it cannot be read)."""
    with contextlib.suppress(OSError, ValueError):
        found = json.loads((cache_root() / kind / f"{key}.json").read_text(encoding="utf-8"))
        _touched.add((kind, key))
        return found
    return None


def is_cached(kind: str, key: str) -> bool:
    """Whether an entry is stored under `key` (read_json may still find it unreadable)."""
    return (cache_root() / kind / f"{key}.json").is_file()


def write_json(kind: str, key: str, content: Any, keep: int | None = None) -> None:
    """Store `content` under `key`; with `keep`, only that many of the kind's newest entries stay."""
    with contextlib.suppress(OSError):
        write_atomic(cache_root() / kind / f"{key}.json", json.dumps(content))
        _touched.add((kind, key))
    if keep is not None:
        prune(kind, keep)


class KeptMap:
    """Results by content digest in one cache entry, read once per run and written once: the last runs' (the
    shards of one repository each add theirs) until it holds four times one run's, and then only the last run's."""

    def __init__(self, kind: str, key: str, at_least: int = 20_000) -> None:
        self._kind, self._key, self._at_least = kind, key, at_least
        stored = read_json(kind, key)
        self._previous: dict[str, Any] = stored if isinstance(stored, dict) else {}
        self._current: dict[str, Any] = {}

    def get(self, digest: str) -> Any:
        """What this run or the last runs stored for `digest` (kept for this run too), or None."""
        found = self._current.get(digest)
        if found is None:
            found = self._previous.get(digest)
            if found is not None:
                self._current[digest] = found
        return found

    def put(self, digest: str, value: Any) -> None:
        self._current[digest] = value

    def save(self) -> None:
        kept = {**self._previous, **self._current}
        if len(kept) > max(self._at_least, 4 * len(self._current)):
            kept = dict(self._current)
        if kept != self._previous:
            write_json(self._kind, self._key, kept)


def prune(kind: str, keep: int) -> None:
    """Only the kind's `keep` newest entries stay."""
    with contextlib.suppress(OSError):
        entries = sorted((cache_root() / kind).glob("*.json"), key=lambda path: path.stat().st_mtime, reverse=True)
        for stale in entries[keep:]:
            stale.unlink(missing_ok=True)


def export_kinds(destination: Path, kinds: tuple[str, ...]) -> None:
    """Copy the entries of the named kinds this process used to `destination` (a shard's, for the merge)."""
    for kind, key in sorted(_touched):
        if kind in kinds:
            (destination / kind).mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(OSError):
                shutil.copyfile(cache_root() / kind / f"{key}.json", destination / kind / f"{key}.json")


def import_directory(source: Path) -> None:
    """Add what an exported cache holds to this one; an entry both hold as a map is merged (one file per run,
    such as the schema results, is filled by every shard)."""
    for kind in sorted(path for path in source.iterdir() if path.is_dir()):
        for file in sorted(kind.glob("*.json")):
            ours = cache_root() / kind.name / file.name
            existing = read_json(kind.name, file.stem) if ours.is_file() else None
            with contextlib.suppress(OSError, ValueError):
                if isinstance(existing, dict):
                    incoming = json.loads(file.read_text(encoding="utf-8"))
                    if isinstance(incoming, dict):
                        write_json(kind.name, file.stem, {**incoming, **existing})
                elif not ours.is_file():
                    ours.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(file, ours)
