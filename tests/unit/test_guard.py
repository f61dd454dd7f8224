"""Guard stage: every case has a failing tree and a passing twin. The failing entry point is never
rendered (so nothing hangs or reaches the network) and the finding names the file and line."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_toolkit.render.read.source_files import SourceFiles
from tests.conftest import gate, rules_at

Tree = Callable[[dict[str, str | bytes]], Path]
APP = "gitops-repo/app"
CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n"


def app(kustomization: str, **files: str | bytes) -> dict[str, str | bytes]:
    tree: dict[str, str | bytes] = {f"{APP}/kustomization.yaml": kustomization, f"{APP}/settings.yaml": CONFIG_MAP}
    tree.update({f"{APP}/{name.replace('__', '.')}": content for name, content in files.items()})
    return tree


def assert_blocked(root: Path, rule: str, path: str, line: int) -> None:
    result = gate(root)
    found = [f for f in result.findings if f.rule == rule]
    assert [(f.path, f.line) for f in found] == [(path, line)], result.findings
    assert ("RENDER-SKIPPED", f"{APP}/kustomization.yaml") in rules_at(result)
    assert not any(f.rule.startswith("RENDER-") and f.rule != "RENDER-SKIPPED" for f in result.findings)
    assert result.exit_code == 1


def assert_clean(root: Path) -> None:
    result = gate(root)
    assert result.findings == [], result.findings
    assert result.exit_code == 0
    assert len(result.resources) >= 1


@pytest.mark.parametrize(
    "remote",
    [
        "https://github.com/example/manifests//base?ref=v1.0.0",
        "github.com/example/manifests/base?ref=main",
        "git@github.com:example/manifests.git//base",
    ],
)
def test_a_remote_resource_is_not_fetched_and_said_as_not_checked(write_tree: Tree, remote: str) -> None:
    """Argo CD's repo-server fetches a remote base; the gate works offline: it renders nothing of that entry
    point and says so (info), rather than claiming that Argo CD would fail."""
    root = write_tree(app(f"resources:\n  - settings.yaml\n  - {remote}\n"))
    result = gate(root)
    assert {(f.rule, f.severity.value, f.path, f.line) for f in result.findings} == {
        ("GUARD-REMOTE-RESOURCE", "info", f"{APP}/kustomization.yaml", 3),
        ("RENDER-SKIPPED", "info", f"{APP}/kustomization.yaml", 1),
    }
    assert result.resources == [] and result.exit_code == 0


def test_local_resources_pass(write_tree: Tree) -> None:
    assert_clean(write_tree(app("resources:\n  - settings.yaml\n")))


def test_directory_base_outside_the_repository_is_refused(write_tree: Tree, tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "kustomization.yaml").write_text("resources: []\n", encoding="utf-8")
    relative = os.path.relpath(outside, tmp_path / APP)
    root = write_tree(app(f"resources:\n  - settings.yaml\n  - {relative}\n"))
    assert_blocked(root, "GUARD-PATH-ESCAPE", f"{APP}/kustomization.yaml", 3)


def test_absolute_path_is_refused(write_tree: Tree) -> None:
    root = write_tree(app("resources:\n  - /etc/hostname\n"))
    assert_blocked(root, "GUARD-PATH-ESCAPE", f"{APP}/kustomization.yaml", 2)


def test_symlink_leaving_the_repository_is_refused(write_tree: Tree) -> None:
    root = write_tree(app("resources:\n  - settings.yaml\n  - linked.yaml\n"))
    (root / APP / "linked.yaml").symlink_to("/etc/hostname")
    result = gate(root)
    assert ("GUARD-PATH-ESCAPE", f"{APP}/linked.yaml") in rules_at(result)
    assert ("GUARD-PATH-ESCAPE", f"{APP}/kustomization.yaml") in rules_at(result)
    assert ("RENDER-SKIPPED", f"{APP}/kustomization.yaml") in rules_at(result)


def test_symlink_inside_the_repository_passes(write_tree: Tree) -> None:
    root = write_tree(app("resources:\n  - linked.yaml\n", shared__yaml=CONFIG_MAP))
    (root / APP / "linked.yaml").symlink_to("settings.yaml")
    assert_clean(root)


def test_missing_file_is_named_with_its_line(write_tree: Tree) -> None:
    root = write_tree(app("resources:\n  - settings.yaml\npatches:\n  - path: missing-patch.yaml\n"))
    assert_blocked(root, "GUARD-MISSING-FILE", f"{APP}/kustomization.yaml", 4)


def test_directory_without_kustomization_is_a_missing_file(write_tree: Tree) -> None:
    root = write_tree(app("resources:\n  - settings.yaml\n  - empty\n", empty__keep="x"))
    (root / APP / "empty").mkdir()
    assert_blocked(root, "GUARD-MISSING-FILE", f"{APP}/kustomization.yaml", 3)


def test_generator_files_are_checked_too(write_tree: Tree) -> None:
    kustomization = "configMapGenerator:\n  - name: cfg\n    files:\n      - conf=missing.properties\n"
    root = write_tree(app(kustomization))
    assert_blocked(root, "GUARD-MISSING-FILE", f"{APP}/kustomization.yaml", 4)
    (root / APP / "missing.properties").write_text("a=b\n", encoding="utf-8")
    assert_clean(root)


def test_helm_chart_inflation_is_refused(write_tree: Tree) -> None:
    kustomization = "helmCharts:\n  - name: redis\n    repo: https://charts.example.org\n    version: 1.0.0\n"
    assert_blocked(write_tree(app(kustomization)), "GUARD-HELM-INFLATION", f"{APP}/kustomization.yaml", 1)


def test_billion_laughs_file_is_refused_and_never_rendered(write_tree: Tree) -> None:
    bomb = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\ndata:\n  a0: &a0 lol\n"
    bomb += "".join(f"  a{n}: &a{n} [" + ",".join([f"*a{n - 1}"] * 9) + "]\n" for n in range(1, 9))
    root = write_tree(app("resources:\n  - settings.yaml\n  - bomb.yaml\n", bomb__yaml=bomb))
    assert_blocked(root, "GUARD-YAML-ALIASES", f"{APP}/bomb.yaml", 12)


def test_duplicate_key_in_a_resource_is_refused(write_tree: Tree) -> None:
    twice = CONFIG_MAP + "data:\n  color: red\n"
    root = write_tree(app("resources:\n  - twice.yaml\n", twice__yaml=twice))
    assert_blocked(root, "GUARD-YAML-DUPLICATE-KEY", f"{APP}/twice.yaml", 7)


def test_non_utf8_resource_is_refused(write_tree: Tree) -> None:
    latin1 = CONFIG_MAP.replace("blue", "bl\xe9").encode("latin-1")
    root = write_tree(app("resources:\n  - latin1.yaml\n", latin1__yaml=latin1))
    assert_blocked(root, "GUARD-NOT-UTF8", f"{APP}/latin1.yaml", 6)


def test_a_file_too_large_to_bound_the_work_is_refused(write_tree: Tree) -> None:
    big = CONFIG_MAP + "# " + "x" * (16 * 1024 * 1024) + "\n"
    root = write_tree(app("resources:\n  - big.yaml\n", big__yaml=big))
    assert_blocked(root, "GUARD-FILE-TOO-LARGE", f"{APP}/big.yaml", 1)


def test_a_large_file_of_valid_objects_renders_and_each_object_is_checked(write_tree: Tree) -> None:
    """kube-prometheus' dashboards: over 1 MiB in one file of ConfigMaps each under the API server's limits.
    Past the size, its objects are checked like any other: the privileged pod beside them is found."""
    dashboard = "x" * (300 * 1024)
    maps = "---\n".join(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dashboard-{n}\ndata:\n  board.json: {dashboard}\n"
        for n in range(4)
    )
    pod = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: debug\nspec:\n  containers:\n    - name: shell\n"
        "      image: registry.example.org/shell:1.0.0\n      securityContext:\n        privileged: true\n"
    )
    root = write_tree(app("resources:\n  - dashboards.yaml\n  - pod.yaml\n", dashboards__yaml=maps, pod__yaml=pod))
    result = gate(root)
    assert not any(f.rule.startswith(("GUARD-", "RENDER-", "API-")) for f in result.findings), result.findings
    assert len([r for r in result.resources if r.kind == "ConfigMap"]) == 4
    assert ("SEC-PRIVILEGED", f"{APP}/pod.yaml", 10) in {(f.rule, f.path, f.line) for f in result.findings}


def test_a_config_map_over_the_api_servers_data_limit_is_reported_at_its_data(write_tree: Tree) -> None:
    """ValidateConfigMap: all keys of `data` and `binaryData` together within core.MaxSecretSize (1 MiB)."""
    maps = "".join(
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n"
        + "".join(f"  key{n}: {'y' * size}\n" for n in range(3))
        for name, size in (("fits", 300 * 1024), ("too-big", 400 * 1024))
    )
    root = write_tree(app("resources:\n  - maps.yaml\n", maps__yaml=maps))
    found = [(f.rule, f.path, f.line, f.resource.name) for f in gate(root).findings if f.rule == "API-OBJECT-SIZE"]
    assert found == [("API-OBJECT-SIZE", f"{APP}/maps.yaml", 15, "too-big")]


def test_broken_yaml_kustomization_is_refused(write_tree: Tree) -> None:
    root = write_tree(app("resources: [settings.yaml\nnamespace: shop\n"))
    assert_blocked(root, "GUARD-YAML-SYNTAX", f"{APP}/kustomization.yaml", 2)


def test_a_bad_file_no_entry_uses_is_still_reported(write_tree: Tree) -> None:
    root = write_tree(app("resources:\n  - settings.yaml\n", notes__yaml="a: 1\na: 2\n"))
    result = gate(root)
    assert rules_at(result) == {("GUARD-YAML-DUPLICATE-KEY", f"{APP}/notes.yaml")}
    assert len(result.resources) == 1  # the entry itself does not use the file, so it still renders


def test_resolved_paths_agree_with_realpath_through_symlinks_and_parents(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    (root / "a" / "b").mkdir(parents=True)
    (root / "real" / "x").mkdir(parents=True)
    (root / "a" / "link").symlink_to(root / "real" / "x")
    (root / "a" / "relative").symlink_to(Path("..") / "real")
    (root / "loop").symlink_to(root / "loop")
    tree = SourceFiles(root)
    for path in (
        root / "a" / "link" / ".." / "b",
        root / "a" / "b" / ".." / "link" / "f.yaml",
        root / "a" / "relative" / "x" / ".." / "x" / "y",
        root / "missing" / ".." / "a",
        root / "loop" / "f",
    ):
        assert tree.real_path(path) == Path(os.path.realpath(path)), path
