"""The CRD lock and `invoke crds.fetch`: downloads are verified against the pinned sha256 before anything is
written; the gate then uses the cache with no --crd-dir. Served from 127.0.0.1 by the test itself."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from gitops_toolkit.crd_lock import LockedCrd, fetch, read_lock
from gitops_toolkit.errors import ToolError
from tests.conftest import REPOSITORY, SHARED_CRDS, invoke


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def crd_server(shared_crds: Path) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 serving ../shared/crds, stopped after the test."""
    handler = partial(_QuietHandler, directory=str(shared_crds))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def local_lock(base: str, shared: Path = SHARED_CRDS) -> list[LockedCrd]:
    """The repository's lock, each URL pointing at the same file (found by its sha256) on the local server."""
    by_digest = {
        hashlib.sha256(path.read_bytes()).hexdigest(): path.relative_to(shared) for path in shared.rglob("*.yaml")
    }
    return [LockedCrd(e.application, f"{base}/{by_digest[e.sha256]}", e.sha256) for e in read_lock(REPOSITORY)]


def test_the_repository_lock_pins_every_shared_crd(shared_crds: Path) -> None:
    digests = {hashlib.sha256(path.read_bytes()).hexdigest() for path in shared_crds.rglob("*.yaml")}
    locked = read_lock(REPOSITORY)
    assert {entry.sha256 for entry in locked} == digests
    assert all(entry.url.startswith("https://raw.githubusercontent.com/") for entry in locked)


def test_fetch_downloads_verifies_and_is_idempotent(crd_server: str, tmp_path: Path) -> None:
    entries = local_lock(crd_server)
    assert fetch(entries, tmp_path) == (len(entries), 0)
    assert fetch(entries, tmp_path) == (0, len(entries))
    for entry in entries:
        assert hashlib.sha256((tmp_path / entry.file_name).read_bytes()).hexdigest() == entry.sha256


def test_a_file_that_does_not_match_its_sha256_is_refused_and_not_written(crd_server: str, tmp_path: Path) -> None:
    entry = local_lock(crd_server)[0]
    tampered = LockedCrd(entry.application, entry.url, "0" * 64)
    with pytest.raises(ToolError, match="sha256 is"):
        fetch([tampered], tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_url_is_a_tool_error(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="cannot download"):
        fetch([LockedCrd("x", "http://127.0.0.1:9/missing.yaml", "0" * 64)], tmp_path)


def test_invoke_crds_fetch_then_validate_uses_the_cache(crd_server: str, repository_copy: Path, tmp_path: Path) -> None:
    lock = repository_copy / "gitops-repo" / "crds.lock.yaml"
    text = lock.read_text(encoding="utf-8")
    for original, local in zip(read_lock(REPOSITORY), local_lock(crd_server), strict=True):
        text = text.replace(original.url, local.url)
    lock.write_text(text, encoding="utf-8")
    cache = tmp_path / "cache"
    fetched = invoke(repository_copy, "crds.fetch", cache=cache)
    assert fetched.returncode == 0, fetched.stderr
    assert f"{len(read_lock(REPOSITORY))} CRD file(s) downloaded" in fetched.stdout
    validated = invoke(repository_copy, "validate", "--format", "json", cache=cache)
    assert validated.returncode == 0, validated.stderr
    assert json.loads(validated.stdout) == []  # every custom resource validated: no SCHEMA-NO-SCHEMA warning
