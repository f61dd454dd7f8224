"""Preflight: what the probe found, judged before anything changes on a host. Each problem is a finding on its
host with the fix, in the gate's style (`host (address): RULE severity message`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from gitops_toolkit.core.machines import CONTROL_PLANE, PLATFORM
from gitops_toolkit.core.rule_catalog import Severity
from gitops_toolkit.hosts.inventory import Host, how_to_verify_host_key
from gitops_toolkit.hosts.pins import PLATFORM_MINIMUM_DISK_GIB, PLATFORM_MINIMUM_MEMORY_MIB, PORTS
from gitops_toolkit.hosts.probe import Probe
from gitops_toolkit.tools.ssh import HOST_KEY_CHANGED, HOST_KEY_UNKNOWN

# Distributions the bootstrap's packages and paths are written for (ID and VERSION_ID of /etc/os-release).
SUPPORTED_OS = {("debian", "12"), ("debian", "13"), ("ubuntu", "22.04"), ("ubuntu", "24.04")}
# kubeadm's own minimums for a control plane; the platform's for a worker (Online Boutique and its monitoring).
# The platform host: GitLab's documented floor for a memory-constrained single node (MemTotal shows a little less).
MINIMUM_CPUS = {CONTROL_PLANE: 2, "worker": 2, PLATFORM: 2}
MINIMUM_MEMORY_MIB = {CONTROL_PLANE: 1700, "worker": 3800, PLATFORM: int(PLATFORM_MINIMUM_MEMORY_MIB * 0.9)}
MAX_CLOCK_SKEW_SECONDS = 2
# The findings of a host that could not be reached at all.
CONNECTION_RULES = frozenset({"HOST-UNREACHABLE", "HOST-KEY-CHANGED", "HOST-KEY-UNKNOWN"})
# What kubeadm needs unique per node: (fact, rule, words for it).
_UNIQUE = (
    ("hostname", "HOST-NAME-DUPLICATE", "host name"),
    ("product_uuid", "HOST-UUID-DUPLICATE", "product_uuid"),
    ("macs", "HOST-MAC-DUPLICATE", "MAC address"),
)


@dataclass(frozen=True)
class HostFinding:
    host: str
    address: str
    rule: str
    severity: Severity
    message: str

    def line(self) -> str:
        return f"{self.host} ({self.address}): {self.rule} {self.severity} {self.message}"


def _connection_finding(probe: Probe) -> tuple[str, Severity, str]:
    host = probe.host
    verify = how_to_verify_host_key(host.address, host.ssh.port, str(host.ssh.known_hosts_file))
    if probe.host_key == HOST_KEY_CHANGED:
        message = (
            f"{probe.unreachable}: the host was reinstalled, or something else answers at its address (a "
            f"machine in between); {verify}, replacing the old line"
        )
        return "HOST-KEY-CHANGED", Severity.ERROR, message
    if probe.host_key == HOST_KEY_UNKNOWN:
        return "HOST-KEY-UNKNOWN", Severity.ERROR, f"{probe.unreachable}; keys are never trusted on first use: {verify}"
    return "HOST-UNREACHABLE", Severity.ERROR, probe.unreachable


# MemTotal is the memory less what the kernel keeps for itself: a machine of 8Gi shows some 7.7Gi.
_MEMTOTAL_SHARE = 0.9


def _declared_capacity(host: Host, cpus: int, memory: int) -> Iterator[tuple[str, Severity, str]]:
    """The inventory's cpus and memory against the host: the gate's capacity rules trust what it declares."""
    if host.cpus > cpus:
        yield (
            "HOST-CAPACITY-DECLARED",
            Severity.ERROR,
            f"has {cpus} CPU(s) but the inventory declares {host.cpus}: set `cpus: {cpus}` and run `invoke "
            "validate` again (the capacity rules placed the pods on what it declares)",
        )
    if host.memory_bytes * _MEMTOTAL_SHARE > memory:
        yield (
            "HOST-CAPACITY-DECLARED",
            Severity.ERROR,
            f"has {memory // 2**20} MiB of memory but the inventory declares {host.memory_bytes // 2**20} MiB: set "
            f"`memory: {memory // 2**20}Mi` and run `invoke validate` again (the capacity rules placed the pods on "
            "what it declares)",
        )


def _node_findings(probe: Probe) -> Iterator[tuple[str, Severity, str]]:
    """What kubeadm and the pod network need of a node."""
    facts = probe.facts
    assert facts is not None
    if facts.swap_devices > 0:
        yield (
            "HOST-SWAP",
            Severity.ERROR,
            f"has {facts.swap_devices} swap device(s) on, which the kubelet refuses; turn swap off "
            "(`swapoff -a`, and remove it from /etc/fstab) and run the bootstrap again",
        )
    if facts.modules_missing:
        yield (
            "HOST-KERNEL-MODULE",
            Severity.ERROR,
            f"its kernel has no {', '.join(facts.modules_missing)} module, which the pod network needs; install the "
            "distribution's standard kernel (linux-image-amd64 or linux-generic) and reboot",
        )
    if not facts.is_node:  # a node's own components hold these ports
        for role in probe.host.roles:
            busy = sorted(port for port in PORTS[role] if port in facts.ports_in_use)
            if busy:
                ports = ", ".join(map(str, busy))
                yield (
                    "HOST-PORT-IN-USE",
                    Severity.ERROR,
                    f"something already listens on port(s) {ports}, which a {role} needs; find it with "
                    f"`ss -ltnp` and stop it (a previous cluster? `kubeadm reset`)",
                )


def _platform_findings(probe: Probe, registry_port: int) -> Iterator[tuple[str, Severity, str]]:
    """Room for GitLab, and its ports free unless GitLab holds them already."""
    facts = probe.facts
    assert facts is not None
    if 0 <= facts.disk_free_kib < PLATFORM_MINIMUM_DISK_GIB * 2**20:
        yield (
            "HOST-DISK",
            Severity.ERROR,
            f"has {facts.disk_free_kib / 2**20:.1f} GiB free under /var; GitLab, its database, repositories and "
            f"registry need {PLATFORM_MINIMUM_DISK_GIB} GiB: grow the disk or free space",
        )
    gitlab = facts.packages.get("gitlab-ce")
    if not (gitlab and gitlab.version):  # GitLab holds these ports once it runs
        busy = sorted(port for port in (*PORTS[PLATFORM], registry_port) if port in facts.ports_in_use)
        if busy:
            yield (
                "HOST-PORT-IN-USE",
                Severity.ERROR,
                f"something already listens on port(s) {', '.join(map(str, busy))}, which GitLab and its registry "
                "need; find it with `ss -ltnp` and stop it (another web server?)",
            )


def _host_findings(probe: Probe, operator_time: float, registry_port: int) -> Iterator[tuple[str, Severity, str]]:
    if probe.facts is None:
        yield _connection_finding(probe)
        return
    facts = probe.facts
    if (facts.os, facts.os_version) not in SUPPORTED_OS:
        supported = ", ".join(f"{name} {version}" for name, version in sorted(SUPPORTED_OS))
        found = f"{facts.os or 'an unknown system'} {facts.os_version}".strip()
        yield "HOST-OS", Severity.ERROR, f"runs {found}; the bootstrap supports {supported}"
    for role in probe.host.roles:
        if facts.cpus < MINIMUM_CPUS[role]:
            yield "HOST-CPU", Severity.ERROR, f"has {facts.cpus} CPU(s); a {role} needs {MINIMUM_CPUS[role]}"
        if facts.memory_kib // 1024 < MINIMUM_MEMORY_MIB[role]:
            yield (
                "HOST-MEMORY",
                Severity.ERROR,
                f"has {facts.memory_kib // 1024} MiB of memory; a {role} needs {MINIMUM_MEMORY_MIB[role]} MiB",
            )
    yield from _declared_capacity(probe.host, facts.cpus, facts.memory_kib * 1024)
    if PLATFORM in probe.host.roles:
        yield from _platform_findings(probe, registry_port)
    else:
        yield from _node_findings(probe)
    skew = abs(facts.time - operator_time)
    if facts.time >= 0 and skew > MAX_CLOCK_SKEW_SECONDS:
        yield (
            "HOST-CLOCK",
            Severity.ERROR,
            f"its clock is {skew:.0f} s away from this machine's, which breaks TLS and joins; "
            "synchronise it (chrony, ntpServers in the inventory)",
        )


def preflight(probes: list[Probe], operator_time: float, registry_port: int = 0) -> list[HostFinding]:
    """Every preflight finding: per host, then what must differ between nodes (host names, product_uuid, MACs).
    `registry_port` is the platform host's registry's."""
    findings = [
        HostFinding(probe.host.name, probe.host.address, rule, severity, message)
        for probe in probes
        for rule, severity, message in _host_findings(probe, operator_time, registry_port)
    ]
    nodes = [probe for probe in probes if PLATFORM not in probe.host.roles]
    for attribute, rule, what in _UNIQUE:
        seen: dict[str, str] = {}
        for probe in nodes:
            found = getattr(probe.facts, attribute, "") if probe.facts else ""
            values = [found] if isinstance(found, str) else list(found)
            shared = [value for value in values if value and value in seen]
            if shared:
                findings.append(
                    HostFinding(
                        probe.host.name,
                        probe.host.address,
                        rule,
                        Severity.ERROR,
                        f"has the {what} {shared[0]} of {seen[shared[0]]}; kubeadm needs it unique per node "
                        "(a cloned VM?)",
                    )
                )
            for value in values:
                if value:
                    seen.setdefault(value, probe.host.name)
    return findings
