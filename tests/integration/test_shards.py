"""Sharding (`invoke validate --shard I/N`, then `--merge-reports DIR`): the merged report is a full run's,
finding for finding, as are a run from the cache and a `--changed-since` run; each shard reports only findings a
full run has, and a defect planted in a shared base reaches every shard holding an overlay that uses it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_toolkit.gate.command import validate_command
from tests.conftest import PINNED_DEPLOYMENT as DEPLOYMENT
from tests.git_repos import git

Tree = Callable[[dict[str, str | bytes]], Path]
BASE = "gitops-repo/shop/base"
SERVICE = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: %s}\n  ports: [{port: 80}]\n"
OVERLAYS = ("alpha", "bravo", "charlie", "delta", "echo")


def files() -> dict[str, str | bytes]:
    tree: dict[str, str | bytes] = {
        f"{BASE}/kustomization.yaml": "resources: [deployment.yaml, service.yaml]\n",
        f"{BASE}/deployment.yaml": DEPLOYMENT,
        f"{BASE}/service.yaml": SERVICE % "web",
    }
    for name in OVERLAYS:
        tree[f"gitops-repo/shop/{name}/kustomization.yaml"] = f"namespace: {name}\nresources: [../base]\n"
    # A Service selecting no pod, in one overlay only: a cross-resource finding, which only the merge reports.
    tree["gitops-repo/shop/charlie/kustomization.yaml"] = "namespace: charlie\nresources: [../base, lost.yaml]\n"
    tree["gitops-repo/shop/charlie/lost.yaml"] = (SERVICE % "nobody").replace("name: web", "name: lost")
    # A credential in a file nothing renders: the secret scan's, in one shard's share of the files.
    tree["gitops-repo/notes.env"] = "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
    return tree


@pytest.fixture
def cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(directory))
    return directory


def run(root: Path, report: Path, **options: object) -> tuple[int, list[dict[str, object]]]:
    code = validate_command(root, [], "json", output=report, **options)  # type: ignore[arg-type]
    return code, json.loads(report.read_text()) if report.is_file() else []


def keyed(findings: list[dict[str, object]]) -> list[str]:
    return sorted(json.dumps(finding, sort_keys=True) for finding in findings)


def test_merged_shards_cache_and_changed_since_find_what_a_full_run_finds(
    write_tree: Tree,
    cache: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = write_tree(files())
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "shop")
    # The defect in the shared base, after the commit: only the base changed since HEAD.
    (root / BASE / "deployment.yaml").write_text(DEPLOYMENT.replace("replicas: 1", 'replicas: "two"'))

    code, full = run(root, tmp_path / "full.json")
    assert code == 1
    rules = {str(finding["rule"]) for finding in full}
    assert {"SCHEMA-INVALID", "XREF-SERVICE-SELECTOR", "SECRET-IN-FILE"} <= rules, rules
    planted = [f for f in full if f["rule"] == "SCHEMA-INVALID" and f["path"] == f"{BASE}/deployment.yaml"]
    assert sorted(str(f["namespace"]) for f in planted) == sorted(OVERLAYS)

    assert keyed(run(root, tmp_path / "cached.json")[1]) == keyed(full)
    assert keyed(run(root, tmp_path / "since.json", changed_since="HEAD")[1]) == keyed(full)

    shards = tmp_path / "shards"
    seen_overlays: list[str] = []
    for index in (1, 2, 3):
        shard_code, found = run(root, tmp_path / f"shard-{index}.json", shard=f"{index}/3", shard_dir=shards)
        record = json.loads((shards / f"shard-{index}-of-3.json").read_text())
        overlays = [entry.rpartition("/")[2] for entry in record["entries"]]
        seen_overlays += overlays
        assert set(keyed(found)) <= set(keyed(full)), f"shard {index} reported what a full run does not"
        in_shard = sorted(str(f["namespace"]) for f in found if f in planted)
        assert in_shard == sorted(overlays), f"shard {index} misses the base's defect in one of {overlays}"
        assert shard_code == 1
    assert sorted(seen_overlays) == sorted(OVERLAYS)  # every entry point in exactly one shard

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "merge-cache"))  # the merge job: only the shards' caches
    capsys.readouterr()
    code, merged = run(root, tmp_path / "merged.json", merge_reports=shards)
    assert code == 1
    assert "kustomize rendered none of the 5 entry point(s)" in capsys.readouterr().err
    assert keyed(merged) == keyed(full)
    assert len(keyed(merged)) == len(set(keyed(merged)))  # each finding once


def test_a_missing_shard_or_a_bad_share_is_one_line(
    write_tree: Tree, cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_tree(files())
    assert run(root, tmp_path / "bad.json", shard="3/2")[0] == 2
    assert "--shard 3/2: write I/N with 1 <= I <= N" in capsys.readouterr().err
    shards = tmp_path / "shards"
    run(root, tmp_path / "one.json", shard="1/2", shard_dir=shards)
    capsys.readouterr()
    assert run(root, tmp_path / "merged.json", merge_reports=shards)[0] == 2
    error = capsys.readouterr().err.strip()
    assert error.endswith("shard(s) 2/2 missing or repeated; every shard's record is needed")
    assert len(error.splitlines()) == 1


def test_a_shard_folder_that_cannot_be_written_is_one_line(
    write_tree: Tree, cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_tree(files())
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder\n")
    assert run(root, tmp_path / "one.json", shard="1/2", shard_dir=blocked / "shards")[0] == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith(f"validate: --shard-dir {blocked / 'shards'}: cannot write the shard's record")
