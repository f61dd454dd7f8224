"""The vendored CRDs and `invoke crds.fetch`: every file the lock pins is in the repository with its sha256;
downloads are verified before anything is written; the gate uses the vendored files with no flag and reports
any that drifted. Upstream is stood in for by an HTTP server on 127.0.0.1 that the test starts and stops."""

from __future__ import annotations

import http.server
import json
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.core.lock_files import sha256_of
from gitops_toolkit.locks.crds.fetch import fetch
from gitops_toolkit.render.crds.lock import LOCK_FILE, LockedCrd, read_lock
from tests.conftest import REPOSITORY, VENDORED_CRDS, gate, invoke, reported


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def upstream(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A copy of the vendored CRDs served over HTTP on 127.0.0.1 (base URL, served directory)."""
    served = tmp_path / "upstream"
    shutil.copytree(VENDORED_CRDS, served)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def point_lock_at(copy: Path, base: str) -> list[LockedCrd]:
    """Rewrite the copy's lock so each URL names the same file on the local server; returns the new entries."""
    lock = copy / LOCK_FILE
    text = lock.read_text(encoding="utf-8")
    for entry in read_lock(REPOSITORY):
        text = text.replace(entry.url, f"{base}/{entry.application}/{entry.path.name}")
    lock.write_text(text, encoding="utf-8")
    return read_lock(copy)


def change_upstream(served: Path, entry: LockedCrd) -> Path:
    """Upstream publishes different bytes at the entry's URL (a new release, or a tampered file)."""
    changed = served / entry.application / entry.path.name
    changed.write_text(changed.read_text(encoding="utf-8") + "# new upstream bytes\n", encoding="utf-8")
    return changed


def test_every_locked_crd_is_vendored_with_its_sha256() -> None:
    locked = read_lock(REPOSITORY)
    # Only Applications that deploy another project's git repository: charts carry their own CRDs.
    assert {entry.application for entry in locked} == {"argo-cd-crds", "gateway-api-crds"}
    assert len(locked) == 3 + 11  # Argo CD's 3 CRDs; the Gateway API's 10 and its admission policy file
    for entry in locked:
        assert sha256_of(REPOSITORY / entry.path) == entry.sha256, entry.path
        assert entry.url.startswith("https://raw.githubusercontent.com/")
    vendored = {path.relative_to(REPOSITORY) for path in VENDORED_CRDS.rglob("*.yaml")}
    assert vendored == {entry.path for entry in locked}


def test_fetch_restores_missing_files_and_is_idempotent(upstream: tuple[str, Path], repository_copy: Path) -> None:
    entries = point_lock_at(repository_copy, upstream[0])
    shutil.rmtree(repository_copy / "gitops-repo" / "crds")
    assert fetch(repository_copy, entries).written == len(entries)
    again = fetch(repository_copy, entries)
    assert (again.written, again.unchanged) == (0, len(entries))
    assert all(sha256_of(repository_copy / entry.path) == entry.sha256 for entry in entries)


def test_a_changed_upstream_file_is_refused_and_nothing_is_written(
    upstream: tuple[str, Path], repository_copy: Path
) -> None:
    entries = point_lock_at(repository_copy, upstream[0])
    change_upstream(upstream[1], entries[-1])
    (repository_copy / entries[0].path).unlink()
    lock_before = (repository_copy / LOCK_FILE).read_text(encoding="utf-8")
    with pytest.raises(ToolError, match=r"sha256 is .*nothing was written"):
        fetch(repository_copy, entries)
    assert not (repository_copy / entries[0].path).exists()  # not even the files that did match
    assert (repository_copy / LOCK_FILE).read_text(encoding="utf-8") == lock_before


def test_repin_records_the_new_sha256_and_keeps_the_lock_comments(
    upstream: tuple[str, Path], repository_copy: Path
) -> None:
    entries = point_lock_at(repository_copy, upstream[0])
    changed = change_upstream(upstream[1], entries[-1])
    result = fetch(repository_copy, entries, repin=True)
    assert (result.written, result.repinned) == (1, 1)
    relocked = read_lock(repository_copy)
    assert relocked[-1].sha256 == sha256_of(changed) == sha256_of(repository_copy / entries[-1].path)
    assert relocked[:-1] == entries[:-1]
    assert (repository_copy / LOCK_FILE).read_text(encoding="utf-8").startswith("# Manifests of the Applications")


def test_an_unreachable_url_is_a_tool_error(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="cannot download"):
        fetch(tmp_path, [LockedCrd("x", "http://127.0.0.1:9/missing.yaml", "0" * 64)])


def test_the_gate_reports_a_drifted_missing_or_unlocked_crd(repository_copy: Path) -> None:
    entries = read_lock(repository_copy)
    edited = repository_copy / entries[0].path
    edited.write_text(edited.read_text(encoding="utf-8").replace("served: true", "served: false", 1), encoding="utf-8")
    (repository_copy / entries[1].path).unlink()
    (repository_copy / "gitops-repo" / "crds" / "extra.yaml").write_text("kind: CustomResourceDefinition\n")
    found = {(f.rule, f.path, f.line) for f in gate(repository_copy).findings if f.rule.startswith("CRD-")}
    assert found == {
        ("CRD-LOCK-MISMATCH", str(entries[0].path), 1),
        ("CRD-LOCK-MISMATCH", str(LOCK_FILE), entries[1].line),
        ("CRD-NOT-LOCKED", "gitops-repo/crds/extra.yaml", 1),
    }


def test_invoke_crds_fetch_then_validate_with_no_flag(
    upstream: tuple[str, Path], repository_copy: Path, tmp_path: Path
) -> None:
    entries = point_lock_at(repository_copy, upstream[0])
    shutil.rmtree(repository_copy / "gitops-repo" / "crds")
    cache = tmp_path / "empty-cache"
    fetched = invoke(repository_copy, "crds.fetch", cache=cache)
    assert fetched.returncode == 0, fetched.stderr
    assert f"{len(entries)} CRD file(s) written, 0 unchanged" in fetched.stdout
    validated = invoke(repository_copy, "validate", "--format", "json", cache=cache)
    assert validated.returncode == 0, validated.stderr
    assert reported(json.loads(validated.stdout)) == []  # every custom resource validated against a vendored CRD
