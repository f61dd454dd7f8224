"""Preflight: each problem a probe can reveal is a finding on its host with the fix; a healthy host has none."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from gitops_toolkit.core.machines import CONTROL_PLANE, memory_bytes
from gitops_toolkit.hosts.inventory import Host, SshSettings
from gitops_toolkit.hosts.preflight import preflight
from gitops_toolkit.hosts.probe import HostFacts, Probe

NOW = 1_800_000_000.0
SSH = SshSettings("root", 22, Path("/keys/id"), Path("/keys/known_hosts"))
HEALTHY = HostFacts("cp1", "debian", "12", 4, 8 * 1024 * 1024, 0, "uuid-1", int(NOW))


def control_plane(facts: HostFacts | None = HEALTHY, unreachable: str = "", host_key: str = "") -> Probe:
    return Probe(Host("cp1", "10.0.0.11", (CONTROL_PLANE,), SSH), facts, unreachable, host_key)


def worker(name: str = "w1", **changes: object) -> Probe:
    unique = replace(HEALTHY, hostname=name, product_uuid=f"uuid-{name}", macs=(f"52:54:00:00:00:{name[-1]}0",))
    facts = replace(unique, **changes)  # type: ignore[arg-type]
    return Probe(Host(name, "10.0.0.12", ("worker",), SSH), facts)


@pytest.mark.parametrize(
    ("cpus", "memory", "declared"),
    [
        (4, "8Gi", []),  # what the host has
        (2, "7800Mi", []),  # less than it has (MemTotal is a little under a machine's memory: 10% slack)
        (4, "9Gi", ["has 8192 MiB of memory but the inventory declares 9216 MiB: set `memory: 8192Mi`"]),
        (8, "8Gi", ["has 4 CPU(s) but the inventory declares 8: set `cpus: 4`"]),
        (4, "16Gi", ["has 8192 MiB of memory but the inventory declares 16384 MiB: set `memory: 8192Mi`"]),
    ],
)
def test_what_the_inventory_declares_is_checked_against_the_host(cpus: int, memory: str, declared: list[str]) -> None:
    host = Host("w1", "10.0.0.12", ("worker",), SSH, cpus, memory_bytes(memory) or 0)
    found = [f.message for f in preflight([Probe(host, HEALTHY)], NOW) if f.rule == "HOST-CAPACITY-DECLARED"]
    assert [message.split(" and run")[0] for message in found] == declared


def test_healthy_hosts_pass() -> None:
    assert preflight([control_plane(), worker("w1"), worker("w2")], NOW) == []


@pytest.mark.parametrize(
    ("probe", "rule", "words"),
    [
        (worker(swap_devices=1), "HOST-SWAP", "swapoff -a"),
        (worker(os="centos", os_version="9"), "HOST-OS", "runs centos 9"),
        (worker(os_version="11"), "HOST-OS", "debian 12"),
        (worker(cpus=1), "HOST-CPU", "a worker needs 2"),
        (worker(memory_kib=2 * 1024 * 1024), "HOST-MEMORY", "a worker needs 3800 MiB"),
        (worker(time=int(NOW) + 30), "HOST-CLOCK", "30 s away"),
        (control_plane(None, "connection refused on port 22"), "HOST-UNREACHABLE", "connection refused on port 22"),
        (
            control_plane(None, "its host key is not the one /keys/known_hosts holds", "changed"),
            "HOST-KEY-CHANGED",
            "the host was reinstalled, or something else answers at its address",
        ),
        (
            control_plane(None, "/keys/known_hosts holds no host key for 10.0.0.11", "unknown"),
            "HOST-KEY-UNKNOWN",
            "compare the fingerprints `ssh-keyscan 10.0.0.11 | ssh-keygen -lf -` prints with those the host shows "
            "on its own console",
        ),
        (worker(modules_missing=("br_netfilter",)), "HOST-KERNEL-MODULE", "no br_netfilter module"),
        (worker(ports_in_use=frozenset({22, 10250})), "HOST-PORT-IN-USE", "port(s) 10250, which a worker needs"),
    ],
)
def test_each_problem_is_a_finding_on_its_host_with_the_fix(probe: Probe, rule: str, words: str) -> None:
    [finding] = preflight([probe], NOW)
    assert (finding.host, finding.rule, str(finding.severity)) == (probe.host.name, rule, "error")
    assert words in finding.message
    assert finding.line().startswith(f"{probe.host.name} ({probe.host.address}): {rule} error ")


def test_hosts_that_must_differ_are_compared() -> None:
    clone = worker("w2", hostname="w1", product_uuid="uuid-w1", macs=("52:54:00:00:00:20", "52:54:00:00:00:10"))
    findings = preflight([worker("w1"), clone], NOW)
    assert sorted((f.host, f.rule) for f in findings) == [
        ("w2", "HOST-MAC-DUPLICATE"),
        ("w2", "HOST-NAME-DUPLICATE"),
        ("w2", "HOST-UUID-DUPLICATE"),
    ]


def test_a_node_s_own_ports_are_not_in_use_by_a_stranger() -> None:
    """On a host that is already a node (a second run), kubelet and the control plane hold their ports."""
    node = control_plane(replace(HEALTHY, ports_in_use=frozenset({6443, 10250}), kubeadm=frozenset({"kubelet_conf"})))
    assert preflight([node], NOW) == []
