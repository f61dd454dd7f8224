"""The gate on any input, as `invoke validate` with empty caches: bombs and deep files anywhere in the tree are
reported at their own path in seconds, files of any size or encoding are scanned for secrets, and nothing
ends in a traceback."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.conftest import invoke, reported

pytestmark = pytest.mark.integration
APP = "gitops-repo/apps/online-boutique"
BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{this}: &{this} [{','.join([f'*{previous}'] * 9)}]\n"
    for previous, this in zip("abcdefgh", "bcdefghi", strict=True)
)
DOUBLING = "l0: &l0 [x, y]\n" + "".join(f"l{n}: &l{n} [*l{n - 1}, *l{n - 1}]\n" for n in range(1, 40))
DEEP = "values:\n" + "".join("  " * depth + f"k{depth}:\n" for depth in range(1, 400)) + "  " * 400 + "v: 1\n"


def validate_cold(root: Path, tmp_path: Path) -> tuple[int, list[dict[str, object]], str, float]:
    started = time.perf_counter()
    completed = invoke(root, "validate", "--format", "json", cache=tmp_path / "empty-cache", timeout=60)
    return completed.returncode, json.loads(completed.stdout or "[]"), completed.stderr, time.perf_counter() - started


@pytest.mark.parametrize(
    ("path", "content", "rule"),
    [
        ("docs/bomb.yaml", BOMB, "GUARD-YAML-ALIASES"),
        (f"{APP}/base/doubling.yaml", DOUBLING, "GUARD-YAML-ALIASES"),
        ("gitops-repo/platform/metallb/values.yaml", DEEP, "GUARD-YAML-DEPTH"),
        ("observability/deep.yml", DEEP, "GUARD-YAML-DEPTH"),
    ],
)
def test_a_bomb_or_deep_file_anywhere_is_reported_at_its_own_path_in_seconds(
    repository_copy: Path, tmp_path: Path, path: str, content: str, rule: str
) -> None:
    (repository_copy / path).write_text(content, encoding="utf-8")
    code, findings, stderr, seconds = validate_cold(repository_copy, tmp_path)
    assert code == 1, stderr
    assert "Traceback" not in stderr
    assert {(f["rule"], f["path"]) for f in findings if f["severity"] == "error"} == {(rule, path)}
    # Expanded, such a file takes minutes and gigabytes; the whole gate with empty caches (twelve charts
    # rendered, every file scanned) takes about 7 s on two idle cores, and more beside other tests.
    assert seconds < 30


def test_large_and_non_utf8_files_are_still_scanned_for_secrets(repository_copy: Path, tmp_path: Path) -> None:
    webhook = "https://hooks.slack.com/services/T0000000/B0000000/" + "x" * 24
    large = "\n".join(f"# filler line {n}" for n in range(200_000)) + f"\nurl: {webhook}\n"
    (repository_copy / "docs" / "large.yaml").write_text(large, encoding="utf-8")
    (repository_copy / "docs" / "latin1.txt").write_bytes(f"caf\xe9\nslack: {webhook}\n".encode("latin-1"))
    code, findings, stderr, _ = validate_cold(repository_copy, tmp_path)
    assert code == 1, stderr
    secrets = {(f["path"], f["line"]) for f in findings if f["rule"] == "SECRET-IN-FILE"}
    assert secrets == {("docs/large.yaml", 200_001), ("docs/latin1.txt", 2)}


def test_a_file_whose_last_line_is_an_alias_is_scanned_without_crashing(repository_copy: Path, tmp_path: Path) -> None:
    (repository_copy / "docs" / "anchors.yaml").write_text(
        "defaults: &defaults\n  retries: 3\n  password_file: /run/secret\nservice:\n  settings: *defaults\n",
        encoding="utf-8",
    )
    code, findings, stderr, _ = validate_cold(repository_copy, tmp_path)
    assert (code, reported(findings)) == (0, []), stderr
