"""Discovery: leaves are rendered, bases and used components are not, unused components are reported."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import gate

Tree = Callable[[dict[str, str | bytes]], Path]
CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"
COMPONENT = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"


def layered_app() -> dict[str, str | bytes]:
    return {
        "gitops-repo/shop/base/kustomization.yaml": "resources: [settings.yaml]\n",
        "gitops-repo/shop/base/settings.yaml": CONFIG_MAP,
        "gitops-repo/shop/components/labels/kustomization.yaml": COMPONENT + "labels: [{pairs: {team: shop}}]\n",
        "gitops-repo/shop/overlays/dev/kustomization.yaml": "namespace: dev\nresources: [../../base]\n"
        "components: [../../components/labels]\n",
        "gitops-repo/shop/overlays/prod/kustomization.yaml": "namespace: prod\nresources: [../../base]\n",
    }


def test_leaves_are_the_entry_points(write_tree: Tree) -> None:
    result = gate(write_tree(layered_app()))
    assert result.entries == ["gitops-repo/shop/overlays/dev", "gitops-repo/shop/overlays/prod"]
    assert sorted(r.ref.namespace for r in result.resources) == ["dev", "prod"]
    assert result.findings == []


def test_a_new_overlay_directory_is_validated_with_no_other_change(write_tree: Tree) -> None:
    tree = layered_app()
    staging = "gitops-repo/shop/overlays/staging"
    tree[f"{staging}/kustomization.yaml"] = "namespace: staging\nresources: [../../base, extra.yaml]\n"
    tree[f"{staging}/extra.yaml"] = CONFIG_MAP.replace("settings", "extra") + "data: [1]\n"  # data must be a map
    result = gate(write_tree(tree))
    assert staging in result.entries
    assert [(f.rule, f.path) for f in result.findings] == [("SCHEMA-INVALID", f"{staging}/extra.yaml")]


def test_an_unused_component_is_reported(write_tree: Tree) -> None:
    tree = layered_app()
    tree["gitops-repo/shop/components/forgotten/kustomization.yaml"] = COMPONENT
    result = gate(write_tree(tree))
    assert [(f.rule, f.path) for f in result.findings] == [
        ("DISCOVER-UNUSED-COMPONENT", "gitops-repo/shop/components/forgotten/kustomization.yaml")
    ]
    assert result.exit_code == 0  # a warning, not an error


def test_kustomizations_that_include_each_other_are_a_cycle_and_not_rendered(write_tree: Tree) -> None:
    root = write_tree(
        {
            "gitops-repo/a/kustomization.yaml": "resources: [../b, settings.yaml]\n",
            "gitops-repo/a/settings.yaml": CONFIG_MAP,
            "gitops-repo/b/kustomization.yaml": "resources:\n  - ../a\n",
        }
    )
    result = gate(root)
    assert {(f.rule, f.path, f.line) for f in result.findings} == {
        ("GUARD-KUSTOMIZATION-CYCLE", "gitops-repo/a/kustomization.yaml", 1),
        ("GUARD-KUSTOMIZATION-CYCLE", "gitops-repo/b/kustomization.yaml", 2),
        ("RENDER-SKIPPED", "gitops-repo/a/kustomization.yaml", 1),
        ("RENDER-SKIPPED", "gitops-repo/b/kustomization.yaml", 1),
    }
    assert result.resources == []
