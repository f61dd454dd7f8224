"""The render cache: an entry point is rendered again only when a file its closure reads changed (its
kustomization, a base's, a resource, a patch, a generator input), with the reason; what comes from the cache
is what a cold run renders, finding for finding."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.gate.pipeline import GateOptions, GateResult, run_gate
from tests.git_repos import git

Tree = Callable[[dict[str, str | bytes]], Path]
CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  colour: {colour}\n"
BASE = "gitops-repo/app/base"
FILES: dict[str, str | bytes] = {
    f"{BASE}/kustomization.yaml": "resources: [settings.yaml]\n",
    f"{BASE}/settings.yaml": CONFIG_MAP.format(name="settings", colour="blue"),
    "gitops-repo/app/dev/kustomization.yaml": "namespace: dev\nresources: [../base]\n",
    "gitops-repo/app/prod/kustomization.yaml": "namespace: prod\nresources: [../base]\npatches: [{path: size.yaml}]\n",
    "gitops-repo/app/prod/size.yaml": CONFIG_MAP.format(name="settings", colour="red"),
    "gitops-repo/other/kustomization.yaml": "configMapGenerator: [{name: env, envs: [app.env]}]\n",
    "gitops-repo/other/app.env": "MODE=one\n",
}


@pytest.fixture
def cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(directory))
    return directory


def gate(root: Path) -> GateResult:
    return run_gate(GateOptions(root=root))


def seen(result: GateResult) -> tuple[list[str], list[tuple[str, str, str]]]:
    """What a user sees of a run: the findings, and every resource with its content."""
    findings = [f"{f.path}:{f.line}: {f.rule} {f.message}" for f in result.findings]
    return findings, sorted((r.entry, r.path, repr(r.obj)) for r in result.resources)


def test_only_what_reads_a_changed_file_is_rendered_again(write_tree: Tree, cache: Path) -> None:
    root = write_tree(FILES)
    first = gate(root)
    assert set(first.rerendered.values()) == {"not rendered before"} and len(first.rerendered) == 3
    assert gate(root).rerendered == {}
    (root / BASE / "settings.yaml").write_text(CONFIG_MAP.format(name="settings", colour="green"))
    assert gate(root).rerendered == {
        "gitops-repo/app/dev": f"{BASE}/settings.yaml changed",
        "gitops-repo/app/prod": f"{BASE}/settings.yaml changed",
    }
    (root / "gitops-repo/app/prod/size.yaml").write_text(CONFIG_MAP.format(name="settings", colour="pink"))
    (root / "gitops-repo/other/app.env").write_text("MODE=two\n")
    assert gate(root).rerendered == {
        "gitops-repo/app/prod": "gitops-repo/app/prod/size.yaml changed",
        "gitops-repo/other": "gitops-repo/other/app.env changed",
    }


def test_what_comes_from_the_cache_is_what_a_cold_run_renders(
    write_tree: Tree, cache: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = write_tree(FILES)
    gate(root)
    (root / "gitops-repo/app/dev/kustomization.yaml").write_text("namespace: dev\nresources: [../base, extra.yaml]\n")
    (root / "gitops-repo/app/dev/extra.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    warm = gate(root)
    assert list(warm.rerendered) == ["gitops-repo/app/dev"]
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("empty")))
    cold = gate(root)
    assert len(cold.rerendered) == 3
    assert seen(warm) == seen(cold)
    assert any(name == "x" for name in (r.name for r in (r.ref for r in warm.resources)))


def test_a_failed_render_is_not_kept(write_tree: Tree, cache: Path) -> None:
    patch = "patches:\n  - patch: |-\n      apiVersion: v1\n      kind: ConfigMap\n      metadata: {name: absent}\n"
    root = write_tree({**FILES, "gitops-repo/app/dev/kustomization.yaml": "resources: [../base]\n" + patch})
    assert [f.rule for f in gate(root).findings] == ["RENDER-FAILED"]
    again = gate(root)
    assert [f.rule for f in again.findings] == ["RENDER-FAILED"] and list(again.rerendered) == ["gitops-repo/app/dev"]


def committed(root: Path) -> Path:
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "-m", "base")
    return root


def test_changed_since_names_the_entry_points_a_shared_base_change_touches_and_keeps_every_finding(
    write_tree: Tree, cache: Path
) -> None:
    root = committed(write_tree(FILES))
    gate(root)
    # A defect planted in the shared base only: a Secret with a literal password.
    (root / BASE / "secret.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: hunter2-hunter2}\n"
    )
    (root / BASE / "kustomization.yaml").write_text("resources: [settings.yaml, secret.yaml]\n")
    scoped = run_gate(GateOptions(root=root, changed_since="main"))
    assert scoped.changed is not None and scoped.changed.files == {f"{BASE}/kustomization.yaml", f"{BASE}/secret.yaml"}
    assert scoped.changed.entries == {
        "gitops-repo/app/dev": [f"{BASE}/kustomization.yaml", f"{BASE}/secret.yaml"],
        "gitops-repo/app/prod": [f"{BASE}/kustomization.yaml", f"{BASE}/secret.yaml"],
    }
    assert set(scoped.rerendered) == {"gitops-repo/app/dev", "gitops-repo/app/prod"}
    full = gate(root)
    assert seen(scoped) == seen(full)
    assert "SECRET-PLAINTEXT" in {f.rule for f in scoped.findings if f.path == f"{BASE}/secret.yaml"}


def test_changed_since_a_ref_that_does_not_exist_is_one_line(write_tree: Tree, cache: Path) -> None:
    root = committed(write_tree(FILES))
    with pytest.raises(ToolError, match=r"--changed-since nope: not a branch, tag or commit"):
        run_gate(GateOptions(root=root, changed_since="nope"))
