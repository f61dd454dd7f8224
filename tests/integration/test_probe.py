"""Probing hosts over real SSH: sshd hosts in network namespaces this module starts (and stops), reached with host
keys checked strictly; an unknown or changed host key refuses the host, and an address where nothing listens is
one line within seconds. Only loopback and the addresses of these hosts are ever dialled."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from gitops_toolkit.core.machines import CONTROL_PLANE
from gitops_toolkit.hosts.inventory import Host, SshSettings
from gitops_toolkit.hosts.preflight import preflight
from gitops_toolkit.hosts.probe import probe
from tests.netns_hosts import NetnsHost, available, key_pair, netns_hosts, stand_in_files

pytestmark = pytest.mark.skipif(bool(available()), reason=available() or "")


# `swapon` answers from a state file the tests write: the kernel's swap list is the machine's, shared by all hosts.
SWAPS = "/var/lib/stand-ins/swaps"


@pytest.fixture(scope="module")
def operator(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The operator's SSH key pair."""
    directory = tmp_path_factory.mktemp("operator")
    key_pair(directory / "id")
    return directory


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory, operator: Path) -> Iterator[list[NetnsHost]]:
    public_key = (operator / "id.pub").read_text(encoding="utf-8").strip()
    # One subnet per xdist worker, so that parallel workers never share a bridge or a namespace.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    subnet = 100 + int(worker) if worker.isdigit() else 100
    with netns_hosts(tmp_path_factory.mktemp("hosts"), ["cp1", "w1"], public_key, subnet, stand_in_files()) as started:
        yield started


def inventory_hosts(hosts: list[NetnsHost], operator: Path, known_hosts: Path) -> list[Host]:
    ssh = SshSettings("root", 22, operator / "id", known_hosts)
    return [
        Host(host.name, host.address, (CONTROL_PLANE,) if number == 0 else ("worker",), ssh)
        for number, host in enumerate(hosts)
    ]


def known_hosts_file(path: Path, entries: list[tuple[str, str]]) -> Path:
    path.write_text("".join(f"{address} {key}\n" for address, key in entries), encoding="utf-8")
    return path


def test_every_host_is_probed_read_only(hosts: list[NetnsHost], operator: Path, tmp_path: Path) -> None:
    known = known_hosts_file(tmp_path / "known_hosts", [(h.address, h.host_public_key) for h in hosts])
    before = {host.name: sorted((host.directory / "upper" / "etc").rglob("*")) for host in hosts}
    probes = probe(inventory_hosts(hosts, operator, known))
    assert [p.unreachable for p in probes] == ["", ""]
    facts = {p.host.name: p.facts for p in probes}
    assert {name: f.hostname for name, f in facts.items() if f} == {"cp1": "cp1", "w1": "w1"}
    for found in facts.values():
        assert found is not None and found.cpus >= 1 and found.memory_kib > 0 and found.swap_devices >= 0
        assert abs(found.time - time.time()) < 60 and found.os  # the machine's own distribution, shared
    assert {host.name: sorted((host.directory / "upper" / "etc").rglob("*")) for host in hosts} == before


def test_an_unknown_host_key_refuses_the_host(hosts: list[NetnsHost], operator: Path, tmp_path: Path) -> None:
    known = known_hosts_file(tmp_path / "known_hosts", [(hosts[0].address, hosts[0].host_public_key)])
    probes = probe(inventory_hosts(hosts, operator, known))
    assert probes[0].facts is not None
    assert probes[1].facts is None and probes[1].host_key == "unknown", probes[1]
    assert probes[1].line() == f"w1 ({hosts[1].address}): {known} holds no host key for {hosts[1].address}"


def test_a_changed_host_key_refuses_the_host(hosts: list[NetnsHost], operator: Path, tmp_path: Path) -> None:
    other_key = tmp_path / "other"
    key_pair(other_key)
    impostor = " ".join(other_key.with_suffix(".pub").read_text(encoding="utf-8").split()[:2])
    known = known_hosts_file(
        tmp_path / "known_hosts", [(hosts[0].address, impostor), (hosts[1].address, hosts[1].host_public_key)]
    )
    probes = probe(inventory_hosts(hosts, operator, known))
    assert probes[0].facts is None and probes[0].host_key == "changed", probes[0]
    assert probes[0].unreachable == f"its host key is not the one {known} holds for {hosts[0].address}"
    [finding] = preflight(probes[:1], time.time())
    assert (
        finding.rule == "HOST-KEY-CHANGED" and f"ssh-keyscan {hosts[0].address} | ssh-keygen -lf -" in finding.message
    )
    assert probes[1].facts is not None


def test_an_address_where_nothing_listens_is_one_line_within_seconds(operator: Path, tmp_path: Path) -> None:
    known = known_hosts_file(tmp_path / "known_hosts", [])
    ssh = SshSettings("root", 22, operator / "id", known)
    silent = [Host(f"h{n}", f"127.0.0.{n}", ("worker",), ssh) for n in (11, 12, 13)]
    started = time.monotonic()
    probes = probe([replace(host, ssh=replace(ssh, port=2)) for host in silent], connect_timeout=2)
    assert time.monotonic() - started < 10
    refused = "connection refused on port 2: is sshd running, and on that port?"
    assert [(p.facts, p.unreachable, p.host_key) for p in probes] == [(None, refused, "")] * 3
    assert [p.line().split(":")[0] for p in probes] == ["h11 (127.0.0.11)", "h12 (127.0.0.12)", "h13 (127.0.0.13)"]


def test_a_host_with_swap_on_fails_preflight_alone(hosts: list[NetnsHost], operator: Path, tmp_path: Path) -> None:
    swaps = hosts[1].directory / "upper" / SWAPS.lstrip("/")
    swaps.write_text("/swapfile\n", encoding="utf-8")  # w1 has one active swap file
    try:
        known = known_hosts_file(tmp_path / "known_hosts", [(h.address, h.host_public_key) for h in hosts])
        findings = preflight(probe(inventory_hosts(hosts, operator, known)), time.time())
    finally:
        swaps.write_text("", encoding="utf-8")
    swap = [finding for finding in findings if finding.rule == "HOST-SWAP"]
    assert [(finding.host, finding.address) for finding in swap] == [("w1", hosts[1].address)]
