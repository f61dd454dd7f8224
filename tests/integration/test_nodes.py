"""`invoke node.remove` and `invoke reset` over real SSH against a cluster the bootstrap brought up on
network-namespace hosts (stand-ins for kubeadm, kubectl and apt)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gitops_toolkit.hosts.nodes.command import node_remove_command, reset_command
from tests.conftest import REPOSITORY
from tests.integration.test_bootstrap import _subnet, bootstrap, calls, mutating, operator, state, write_inventory
from tests.netns_hosts import NetnsHost, available, netns_hosts, stand_in_files

pytestmark = pytest.mark.skipif(bool(available()), reason=available() or "")
__all__ = ["operator"]


@pytest.fixture
def cluster(tmp_path: Path, operator: Path, capsys: Any) -> Iterator[tuple[list[NetnsHost], Path]]:
    public_key = (operator / "id.pub").read_text(encoding="utf-8").strip()
    with netns_hosts(tmp_path / "hosts", ["cp1", "w1", "w2"], public_key, _subnet(190), stand_in_files()) as hosts:
        inventory = write_inventory(tmp_path, operator, hosts)
        code, _, printed = bootstrap(capsys, inventory, tmp_path / "kubeconfig")
        assert code == 0, printed
        capsys.readouterr()
        yield hosts, inventory


def joined(host: NetnsHost) -> bool:
    return (host.directory / "upper/etc/kubernetes/kubelet.conf").exists()


def test_a_node_is_drained_deleted_and_reset_once(cluster: tuple[list[NetnsHost], Path], capsys: Any) -> None:
    (cp1, w1, w2), inventory = cluster
    assert node_remove_command(REPOSITORY, inventory, "cp1", yes=True) == 2
    assert "the only control plane" in capsys.readouterr().err
    assert node_remove_command(REPOSITORY, inventory, "w9", yes=True) == 2
    assert "not a node of the inventory" in capsys.readouterr().err

    before = {host.name: len(calls(host)) for host in (cp1, w1)}
    assert node_remove_command(REPOSITORY, inventory, "w1", yes=False) == 0
    planned = capsys.readouterr().out
    assert (
        planned.index("cp1: + drain w1")
        < planned.index("cp1: + delete the Node w1")
        < planned.index("w1: + kubeadm reset")
    )
    assert "pass --yes" in planned and [mutating(h, before[h.name]) for h in (cp1, w1)] == [[], []]

    state(cp1, "pdb-blocking").write_text("w1 shop/web\n")
    assert node_remove_command(REPOSITORY, inventory, "w1", yes=True) == 1
    assert "blocked by PodDisruptionBudget shop/web" in capsys.readouterr().err and joined(w1)
    state(cp1, "pdb-blocking").write_text("")

    assert node_remove_command(REPOSITORY, inventory, "w1", yes=True, purge=True) == 0, capsys.readouterr().err
    assert capsys.readouterr().out.count("- ") == 4  # drain, delete, reset, packages
    assert not joined(w1) and joined(w2) and (state(cp1, "") / "deleted-w1").exists()
    assert not (state(w1, "packages") / "kubelet").exists(), "--purge left the packages"
    assert any(line.startswith("kubeadm reset --force") for line in calls(w1))

    before = {host.name: len(calls(host)) for host in (cp1, w1)}
    assert node_remove_command(REPOSITORY, inventory, "w1", yes=True) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert [mutating(h, before[h.name]) for h in (cp1, w1)] == [[], []]


def test_reset_cleans_one_host_only(cluster: tuple[list[NetnsHost], Path], capsys: Any) -> None:
    (cp1, _, w2), inventory = cluster
    assert reset_command(REPOSITORY, inventory, [], yes=True) == 2
    assert reset_command(REPOSITORY, inventory, ["w2"], yes=False) == 0 and joined(w2)
    assert reset_command(REPOSITORY, inventory, ["w2"], yes=True) == 0
    assert not joined(w2) and joined(cp1) and not (state(cp1, "") / "deleted-w2").exists()
    assert (state(w2, "packages") / "kubelet").exists(), "reset keeps the packages"
