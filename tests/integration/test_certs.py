"""`invoke certs` over real SSH against a control plane and a worker in network namespaces, brought up by the
bootstrap with the stand-ins (kubeadm prints check-expiration as kubeadm does; crictl answers as the kubelet runs
the static pods; the kubelet's client certificate is a real one read by the real openssl)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gitops_toolkit.checks.smoke.command import smoke_command
from gitops_toolkit.hosts.certs.command import STATIC_PODS, certs_command
from tests.conftest import REPOSITORY
from tests.integration.test_bootstrap import _subnet, bootstrap, calls, mutating, operator, state, write_inventory
from tests.netns_hosts import NetnsHost, available, netns_hosts, stand_in_files
from tests.stand_in_cluster import SHOP, StandInCluster
from tests.stand_in_shop import stand_in_shop

pytestmark = pytest.mark.skipif(bool(available()), reason=available() or "")
__all__ = ["operator"]


@pytest.fixture
def cluster(tmp_path: Path, operator: Path, capsys: Any) -> Iterator[tuple[list[NetnsHost], Path]]:
    public_key = (operator / "id.pub").read_text(encoding="utf-8").strip()
    with netns_hosts(tmp_path / "hosts", ["cp1", "w1"], public_key, _subnet(150), stand_in_files()) as hosts:
        inventory = write_inventory(tmp_path, operator, hosts)
        code, _, printed = bootstrap(capsys, inventory, tmp_path / "kubeconfig")
        assert code == 0, printed
        yield hosts, inventory


def certs(capsys: Any, inventory: Path, kubeconfig: Path, *flags: str) -> tuple[int, dict[str, Any]]:
    code = certs_command(
        REPOSITORY,
        inventory,
        renew="--renew" in flags,
        within_days=int(flags[flags.index("--within") + 1]) if "--within" in flags else 90,
        plan_only="--plan" in flags,
        output_format="json",
        kubeconfig=str(kubeconfig),
    )
    captured = capsys.readouterr()
    assert captured.out, captured.err
    return code, json.loads(captured.out)


def days_left(report: dict[str, Any], host: str, name: str) -> int:
    [found] = [c["days_left"] for c in report["certificates"] if (c["host"], c["name"]) == (host, name)]
    return int(found)


def expire_in(control_plane: NetnsHost, name: str, days: int) -> None:
    """What a year of running leaves: the certificate `name` expiring in `days` days."""
    records = state(control_plane, "certs")
    lines = [
        f"{name} {int(time.time()) + days * 86400}" if line.split()[0] == name else line
        for line in records.read_text().splitlines()
    ]
    records.write_text("\n".join(lines) + "\n")


def smoke_certificates(inventory: Path, directory: Path, capsys: Any) -> dict[str, Any]:
    """`invoke smoke --inventory`'s CLUSTER-CERTIFICATES, beside a stand-in cluster and shop."""
    report = directory / "smoke.json"
    cluster = StandInCluster()
    with stand_in_shop() as shop:
        url = f"http://127.0.0.1:{shop.server_port}"
        smoke_command(REPOSITORY, "", "", url, "json", str(report), SHOP, lambda k, c: cluster, str(inventory))
    capsys.readouterr()  # what smoke printed besides its report
    [check] = [c for c in json.loads(report.read_text())["checks"] if c["id"] == "CLUSTER-CERTIFICATES"]
    return dict(check)


def test_expiry_is_reported_then_renewed_with_the_control_plane_restarted(
    cluster: tuple[list[NetnsHost], Path], tmp_path: Path, capsys: Any
) -> None:
    (cp1, w1), inventory = cluster
    kubeconfig = tmp_path / "home" / "kubeconfig"

    code, fresh = certs(capsys, inventory, kubeconfig)
    assert code == 0, fresh
    assert 363 <= days_left(fresh, "cp1", "apiserver") <= 365
    assert days_left(fresh, "cp1", "ca") > 3000
    for host in ("cp1", "w1"):  # the kubelet's client certificate, read with openssl on each node
        assert 363 <= days_left(fresh, host, "kubelet client (rotated by the kubelet)") <= 365
    assert {c["host"] for c in fresh["certificates"] if c["name"] == "apiserver"} == {"cp1"}

    expire_in(cp1, "apiserver", 10)
    code, expiring = certs(capsys, inventory, kubeconfig)
    assert code == 1 and days_left(expiring, "cp1", "apiserver") == 9
    assert "1 certificate(s) expire within 30 days" in expiring["summary"]
    smoked = smoke_certificates(inventory, tmp_path, capsys)
    assert (
        smoked["status"] == "fail"
        and smoked["detail"].startswith("cp1: apiserver expires ")
        and "(9 days)" in smoked["detail"]
    )
    assert "invoke certs --inventory F --renew" in smoked["fix"]

    before = {host.name: len(calls(host)) for host in (cp1, w1)}
    code, plan = certs(capsys, inventory, kubeconfig, "--renew", "--plan")
    assert code == 0, plan
    steps = [step["step"] for step in plan["steps"]]
    assert steps[0].startswith("renew every kubeadm certificate") and "apiserver expires in 9 days" in steps[0]
    assert [s.split()[1] for s in steps[1:]] == list(STATIC_PODS)  # restarted one at a time, in this order
    assert {step["host"] for step in plan["steps"]} == {"cp1"}
    assert [mutating(host, before[host.name]) for host in (cp1, w1)] == [[], []], "the plan changed something"
    assert not kubeconfig.exists()

    code, renewed = certs(capsys, inventory, kubeconfig, "--renew")
    assert code == 0, renewed
    assert 363 <= days_left(renewed, "cp1", "apiserver") <= 365
    assert smoke_certificates(inventory, tmp_path, capsys)["status"] == "pass"
    assert kubeconfig.stat().st_mode & 0o777 == 0o600 and "client-key-data" in kubeconfig.read_text()
    manifests = cp1.directory / "upper/etc/kubernetes/manifests"
    assert sorted(p.stem for p in manifests.iterdir()) == sorted(STATIC_PODS)  # every one back in place
    log = calls(cp1)[before["cp1"] :]
    assert any(line == "kubeadm certs renew all" for line in log)
    assert not any(str(key) in json.dumps(renewed) for key in ("client-key-data", "BEGIN"))

    before = {host.name: len(calls(host)) for host in (cp1, w1)}
    code, again = certs(capsys, inventory, kubeconfig, "--renew")
    assert (code, again["steps"]) == (0, []) and "nothing to renew" in again["summary"]
    assert [mutating(host, before[host.name]) for host in (cp1, w1)] == [[], []]


def test_a_restart_interrupted_half_way_is_finished_by_the_next_run(
    cluster: tuple[list[NetnsHost], Path], tmp_path: Path, capsys: Any
) -> None:
    (cp1, _), inventory = cluster
    kubeconfig = tmp_path / "home" / "kubeconfig"
    expire_in(cp1, "apiserver", 5)
    fail = state(cp1, "fail")
    fail.write_text("crictl ps\n")  # the wait for kube-apiserver to stop fails: its manifest stays aside
    code, failed = certs(capsys, inventory, kubeconfig, "--renew")
    assert code == 1 and failed["errors"] and "cp1" in failed["errors"][0], failed
    aside = cp1.directory / "upper/etc/kubernetes/manifests-restarting/kube-apiserver.yaml"
    assert aside.exists(), "the failure was not where the test meant it"

    fail.write_text("")
    code, resumed = certs(capsys, inventory, kubeconfig, "--renew")
    assert code == 0, resumed
    assert [s["step"].split()[1] for s in resumed["steps"]][:1] == ["kube-apiserver"]  # put back first
    assert not aside.exists() and (cp1.directory / "upper/etc/kubernetes/manifests/kube-apiserver.yaml").exists()
    assert 363 <= days_left(resumed, "cp1", "apiserver") <= 365
