"""`invoke upgrade` over real SSH against a control plane and two workers in network namespaces, brought up by
the bootstrap at 1.36, with stand-ins for apt, kubeadm (which refuses a skipped minor and a version other than its
own, as kubeadm does), kubectl (drain, uncordon, a PodDisruptionBudget that blocks a drain) and crictl."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_toolkit.hosts.upgrade.command import upgrade_command
from tests.conftest import REPOSITORY
from tests.integration.test_bootstrap import _subnet, bootstrap, calls, mutating, operator, state, write_inventory
from tests.netns_hosts import NetnsHost, available, netns_hosts, stand_in_files

pytestmark = pytest.mark.skipif(bool(available()), reason=available() or "")
__all__ = ["operator"]

FROM, TO = "1.36.4", "1.37.1"


def at_version(inventory: Path, version: str) -> Path:
    document = yaml.safe_load(inventory.read_text())
    document["cluster"]["kubernetesVersion"] = version
    inventory.write_text(yaml.safe_dump(document, sort_keys=False))
    return inventory


@pytest.fixture
def cluster(tmp_path: Path, operator: Path, capsys: Any) -> Iterator[tuple[list[NetnsHost], Path]]:
    public_key = (operator / "id.pub").read_text(encoding="utf-8").strip()
    with netns_hosts(tmp_path / "hosts", ["cp1", "w1", "w2"], public_key, _subnet(180), stand_in_files()) as hosts:
        inventory = at_version(write_inventory(tmp_path, operator, hosts), FROM)
        code, _, printed = bootstrap(capsys, inventory, tmp_path / "kubeconfig")
        assert code == 0, printed
        yield hosts, inventory


def upgrade(capsys: Any, inventory: Path, *flags: str) -> tuple[int, dict[str, Any]]:
    to = flags[flags.index("--to") + 1] if "--to" in flags else TO
    batch = int(flags[flags.index("--batch") + 1]) if "--batch" in flags else 1
    code = upgrade_command(REPOSITORY, inventory, to, "--plan" in flags, batch, "json")
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if captured.out else {"stderr": captured.err})


def package(host: NetnsHost, name: str) -> str:
    return state(host, f"packages/{name}").read_text()


def test_a_skipped_minor_or_a_downgrade_is_refused_naming_the_way(tmp_path: Path, operator: Path, capsys: Any) -> None:
    """Refused before any connection (the addresses are never dialled)."""
    known = tmp_path / "known_hosts"
    known.write_text("")
    document = {
        "cluster": {"kubernetesVersion": FROM, "controlPlaneEndpoint": "192.0.2.10:6443",
                    "podSubnet": "10.244.0.0/16", "serviceSubnet": "10.96.0.0/12"},
        "ssh": {"user": "root", "identityFile": str(operator / "id"), "knownHostsFile": str(known)},
        "hosts": [{"name": "cp1", "address": "192.0.2.10", "roles": ["control-plane"], "cpus": 2, "memory": "4Gi"},
                  {"name": "w1", "address": "192.0.2.11", "roles": ["worker"], "cpus": 4, "memory": "8Gi"}],
        "metallbRange": "192.0.2.200-192.0.2.220",
    }  # fmt: skip
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(document))
    code, said = upgrade(capsys, path, "--to", "1.38.2")
    assert code == 2 and "one minor version at a time; go to 1.37.x, then 1.38.x" in said["stderr"]
    code, said = upgrade(capsys, path, "--to", "1.35.0")
    assert code == 2 and "does not downgrade" in said["stderr"]
    code, said = upgrade(capsys, path, "--to", "1.37")
    assert code == 2 and "exact version" in said["stderr"]


def test_plan_then_upgrade_node_by_node_then_nothing_left(cluster: tuple[list[NetnsHost], Path], capsys: Any) -> None:
    hosts, inventory = cluster
    cp1, w1, w2 = hosts
    before = {host.name: len(calls(host)) for host in hosts}
    code, plan = upgrade(capsys, inventory, "--plan")
    assert code == 0, plan
    order = [(step["phase"], step["node"], step["step"].split(" (")[0]) for step in plan["steps"]]
    assert order[0] == ("before", "cp1", "etcd snapshot, checked with etcdutl")
    for node, phase in (("cp1", "control plane cp1"), ("w1", "batch 1"), ("w2", "batch 2")):
        mine = [step for p, n, step in order if n == node and p == phase]
        assert mine[0] == "point apt at Kubernetes v1.37's repository" and mine[1] == f"kubeadm {TO}, held"
        assert mine[-3:] == [f"drain {node}", f"kubelet and kubectl {TO}, held; kubelet restarted",
                             f"uncordon {node}, Ready again"], mine  # fmt: skip
    assert [n for _, n, s in order if s.startswith("kubeadm upgrade apply")] == ["cp1"]
    assert [n for _, n, s in order if s == "kubeadm upgrade node"] == ["w1", "w2"]
    assert [mutating(host, before[host.name]) for host in hosts] == [[], [], []], "the plan changed something"
    assert yaml.safe_load(inventory.read_text())["cluster"]["kubernetesVersion"] == FROM

    state(cp1, "pdb-blocking").write_text("w1 shop/web\n")  # a budget that allows no disruption: w1's drain stops
    code, stopped = upgrade(capsys, inventory)
    assert code == 1 and "blocked by PodDisruptionBudget shop/web" in " ".join(stopped["errors"]), stopped
    assert package(cp1, "kubelet") == f"hi {TO}-1.1", "the control plane goes first, and was done"
    assert package(w1, "kubelet") == f"hi {FROM}-1.1" and package(w2, "kubelet") == f"hi {FROM}-1.1"
    assert yaml.safe_load(inventory.read_text())["cluster"]["kubernetesVersion"] == FROM

    state(cp1, "pdb-blocking").write_text("")  # the budget allows a disruption again
    code, resumed = upgrade(capsys, inventory)
    assert code == 0, resumed["errors"]
    assert not any(step["phase"].startswith("control plane") for step in resumed["steps"]), "cp1 was redone"
    for host in hosts:
        assert package(host, "kubelet") == package(host, "kubeadm") == package(host, "kubectl") == f"hi {TO}-1.1"
        assert "v1.37/deb" in (host.directory / "upper/etc/apt/sources.list.d/kubernetes.list").read_text()
    assert (
        "kube-apiserver:v1.37.1" in (cp1.directory / "upper/etc/kubernetes/manifests/kube-apiserver.yaml").read_text()
    )
    assert not list(state(cp1, "").glob("cordoned-*")), "a node stayed cordoned"
    assert yaml.safe_load(inventory.read_text())["cluster"]["kubernetesVersion"] == TO

    before = {host.name: len(calls(host)) for host in hosts}
    code, again = upgrade(capsys, inventory)
    assert (code, again["steps"]) == (0, []) and "nothing to do" in again["summary"]
    assert [mutating(host, before[host.name]) for host in hosts] == [[], [], []]
