"""Refresh the vendored CRDs from upstream: download every file the lock lists, check it against its sha256
(or, when re-pinning, record the new one), and only then write the files and the lock, each atomically."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gitops_toolkit.core.atomic_files import write_atomic
from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.core.lock_files import sha256_of
from gitops_toolkit.render.crds.lock import LOCK_FILE, LockedCrd
from gitops_toolkit.tools import http

_MAX_BYTES = 16 * 1024 * 1024

Download = Callable[[str], bytes]


@dataclass(frozen=True)
class FetchResult:
    written: int
    unchanged: int
    repinned: int


def download(url: str) -> bytes:
    return http.download(url, _MAX_BYTES)


def fetch(root: Path, entries: list[LockedCrd], get: Download = download, repin: bool = False) -> FetchResult:
    """Bring every vendored CRD to what its URL serves. A download whose sha256 differs from the lock is refused
    (nothing written) unless `repin`, which records the new sha256 in the lock."""
    downloaded: list[tuple[LockedCrd, bytes, str]] = []
    for entry in entries:
        data = get(entry.url)
        digest = hashlib.sha256(data).hexdigest()
        if digest != entry.sha256 and not repin:
            raise ToolError(
                f"{entry.url}: sha256 is {digest}, {LOCK_FILE}:{entry.line} says {entry.sha256}; the file changed "
                "upstream or the lock is wrong (nothing was written; `invoke crds.fetch --repin` records the new one)"
            )
        downloaded.append((entry, data, digest))
    written = unchanged = 0
    for entry, data, digest in downloaded:
        target = root / entry.path
        if target.is_file() and sha256_of(target) == digest:
            unchanged += 1
            continue
        write_atomic(target, data)
        written += 1
    repinned = [(entry, digest) for entry, _, digest in downloaded if digest != entry.sha256]
    if repinned:
        _write_lock(root, repinned)
    return FetchResult(written, unchanged, len(repinned))


def _write_lock(root: Path, repinned: list[tuple[LockedCrd, str]]) -> None:
    """Replace each old digest on its own line: comments and layout of the lock stay as they are."""
    lines = (root / LOCK_FILE).read_text(encoding="utf-8").splitlines(keepends=True)
    for entry, digest in repinned:
        for number in range(entry.line - 1, len(lines)):
            if entry.sha256 in lines[number]:
                lines[number] = lines[number].replace(entry.sha256, digest)
                break
    write_atomic(root / LOCK_FILE, "".join(lines))
