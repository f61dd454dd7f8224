"""Render stage: kustomize errors, runaway time and runaway memory become findings on the entry point."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_toolkit.gate.pipeline import GateOptions, run_gate
from gitops_toolkit.render.kustomize import RenderLimits, render_all

Tree = Callable[[dict[str, str | bytes]], Path]
CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"
ENTRY = "gitops-repo/app/kustomization.yaml"


@pytest.fixture
def app(write_tree: Tree) -> Path:
    return write_tree({ENTRY: "resources: [settings.yaml]\n", "gitops-repo/app/settings.yaml": CONFIG_MAP})


def test_kustomize_error_is_reported_on_the_entry_point_with_kustomize_message(write_tree: Tree) -> None:
    patch = "patches:\n  - patch: |-\n      apiVersion: v1\n      kind: ConfigMap\n      metadata: {name: absent}\n"
    root = write_tree({ENTRY: "resources: [settings.yaml]\n" + patch, "gitops-repo/app/settings.yaml": CONFIG_MAP})
    [finding] = run_gate(GateOptions(root=root)).findings
    assert (finding.rule, finding.path) == ("RENDER-FAILED", ENTRY)
    assert "absent" in finding.message
    assert "\n" not in finding.message


def test_render_over_its_time_limit_is_a_finding(app: Path) -> None:
    result = run_gate(GateOptions(root=app, render=RenderLimits(timeout_seconds=0.001)))
    assert [(f.rule, f.path) for f in result.findings] == [("RENDER-TIMEOUT", ENTRY)]
    assert result.exit_code == 1


@pytest.mark.parametrize("prlimit", [True, False], ids=["set by prlimit", "set between fork and exec"])
def test_render_over_its_memory_limit_is_a_finding(app: Path, prlimit: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not prlimit:  # a system without util-linux's prlimit
        which = shutil.which
        monkeypatch.setattr(shutil, "which", lambda name: None if name == "prlimit" else which(name))
    result = run_gate(GateOptions(root=app, render=RenderLimits(memory_bytes=64 * 1024**2)))
    assert [(f.rule, f.path) for f in result.findings] == [("RENDER-MEMORY-LIMIT", ENTRY)]


def test_entries_render_in_parallel_and_come_back_in_order(write_tree: Tree) -> None:
    files: dict[str, str | bytes] = {}
    for name in ("a", "b", "c", "d"):
        files[f"gitops-repo/{name}/kustomization.yaml"] = f"namespace: {name}\nresources: [settings.yaml]\n"
        files[f"gitops-repo/{name}/settings.yaml"] = CONFIG_MAP
    root = write_tree(files)
    entries = [root / "gitops-repo" / name for name in ("d", "b", "a", "c")]
    done: list[Path] = []
    renderings = render_all(entries, RenderLimits(jobs=2), lambda rendering: done.append(rendering.entry))
    assert [rendering.entry for rendering in renderings] == entries
    assert sorted(done) == sorted(entries)
    assert all(
        f"namespace: {entry.name}" in rendering.text for entry, rendering in zip(entries, renderings, strict=True)
    )
