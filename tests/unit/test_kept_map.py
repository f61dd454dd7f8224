"""Results kept by content digest (core/cache_directory.KeptMap): what this run found is found again in this run
(a stage that validates ahead, then checks, validates once); the last runs' results are found and kept; the map
stays bounded."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_toolkit.core.cache_directory import KeptMap


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path


def test_what_this_run_put_is_found_in_this_run() -> None:
    kept = KeptMap("results", "key")
    kept.put("a", [1])
    assert kept.get("a") == [1]
    assert kept.get("b") is None


def test_what_the_last_run_saved_is_found_and_kept() -> None:
    first = KeptMap("results", "key")
    first.put("a", [1])
    first.save()
    second = KeptMap("results", "key")
    assert second.get("a") == [1]
    second.save()
    assert KeptMap("results", "key").get("a") == [1]


def test_a_map_over_four_times_a_run_keeps_only_the_last_run() -> None:
    for run in range(5):  # one result a run: the fifth makes five, over four times one
        kept = KeptMap("results", "key", at_least=4)
        kept.put(str(run), [run])
        kept.save()
        found = KeptMap("results", "key", at_least=4)
        assert [found.get(str(earlier)) for earlier in range(run + 1)] == (
            [[earlier] for earlier in range(run + 1)] if run < 4 else [None] * 4 + [[4]]
        )
