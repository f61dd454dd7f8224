"""The admin kubeconfig on the operator's machine: refused inside the repository before anything connects, and
written readable by its owner only, replacing the old one whole."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from gitops_toolkit.hosts.bootstrap import command as bootstrap_module
from gitops_toolkit.hosts.bootstrap.kubeconfig import write_private
from tests.conftest import REPOSITORY, example_inventory


def test_a_kubeconfig_inside_the_repository_is_refused_before_connecting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = example_inventory(tmp_path)

    def refuse(*arguments: object, **keywords: object) -> None:
        raise AssertionError("connected before refusing the kubeconfig path")

    monkeypatch.setattr(bootstrap_module, "probe", refuse)
    code = bootstrap_module.bootstrap_command(REPOSITORY, inventory, True, [], "text", str(REPOSITORY / "admin.conf"))
    printed = capsys.readouterr()
    assert code == 2 and printed.out == ""
    assert printed.err.count("\n") == 1 and "inside the repository" in printed.err
    assert not (REPOSITORY / "admin.conf").exists()


def test_the_kubeconfig_is_written_for_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / ".kube" / "platform.conf"
    path.parent.mkdir()
    path.write_text("old\n", encoding="utf-8")
    path.chmod(0o644)
    write_private(path, "apiVersion: v1\nkind: Config\n")
    assert path.read_text(encoding="utf-8") == "apiVersion: v1\nkind: Config\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["platform.conf"]  # no temporary file left behind
