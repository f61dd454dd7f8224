"""Entry results kept between runs (gate/entry_results.py): an overlay whose files did not change is not checked
again, but what a cold run finds still comes out whenever anything else its findings depend on changed: a
site setting, a shared base, or a fact about the rest of the repository."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_toolkit.gate.pipeline import GateOptions, run_gate
from tests.conftest import PINNED_DEPLOYMENT as DEPLOYMENT

Tree = Callable[[dict[str, str | bytes]], Path]
SETTINGS = '[tool.gitops-toolkit.gate]\nallowed-registries = ["{registry}"]\n'
FILES: dict[str, str | bytes] = {
    "pyproject.toml": SETTINGS.format(registry="registry.example/"),
    "gitops-repo/shop/base/kustomization.yaml": "resources: [deployment.yaml]\n",
    "gitops-repo/shop/base/deployment.yaml": DEPLOYMENT,
    "gitops-repo/shop/one/kustomization.yaml": "namespace: one\nresources: [../base]\n",
    "gitops-repo/shop/two/kustomization.yaml": "namespace: two\nresources: [../base]\n",
}


def findings(root: Path) -> list[str]:
    return [f"{f.path}:{f.line}: {f.rule} {f.resource} {f.message}" for f in run_gate(GateOptions(root=root)).findings]


def cold(root: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    with monkeypatch.context() as scoped:
        scoped.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cold")))
        return findings(root)


def test_a_kept_result_gives_way_to_what_changed_around_the_overlay(
    write_tree: Tree, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("warm")))
    root = write_tree(FILES)
    first = findings(root)
    assert not [line for line in first if "IMAGE-REGISTRY" in line]
    assert findings(root) == first  # from the kept results

    (root / "pyproject.toml").write_text(SETTINGS.format(registry="mirror.example/"))  # a site setting
    warm = findings(root)
    assert len([line for line in warm if "IMAGE-REGISTRY" in line]) == 2  # in both namespaces
    assert warm == cold(root, monkeypatch, tmp_path_factory)

    # The shared base: both overlays read it, so neither result is kept.
    moved = DEPLOYMENT.replace("registry.example", "mirror.example")
    (root / "gitops-repo/shop/base/deployment.yaml").write_text(moved)
    warm = findings(root)
    assert not [line for line in warm if "IMAGE-REGISTRY" in line]
    assert warm == cold(root, monkeypatch, tmp_path_factory)

    # Outside both overlays: a ServiceAccount elsewhere changes no fact they depend on; the kept results hold.
    (root / "gitops-repo/other").mkdir()
    (root / "gitops-repo/other/account.yaml").write_text("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n")
    assert findings(root) == cold(root, monkeypatch, tmp_path_factory)
