"""Probe every host read-only over SSH: what the preflight judges (distribution, CPUs, memory, swap, host name,
product_uuid, clock), gathered by one command that changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from gitops_toolkit.hosts.inventory import Host
from gitops_toolkit.tools.ssh import SshTarget, run_read_only

# One key=value per line; every value from a file or a command that only reads.
PROBE_COMMAND = "; ".join(
    [
        'echo "hostname=$(hostname)"',
        '( . /etc/os-release 2>/dev/null; echo "os=$ID"; echo "os_version=$VERSION_ID" )',
        'echo "cpus=$(nproc)"',
        "echo \"memory_kib=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)\"",
        'echo "swap_devices=$(swapon --noheadings --show=NAME 2>/dev/null | wc -l)"',
        'echo "product_uuid=$(cat /sys/class/dmi/id/product_uuid 2>/dev/null)"',
        'echo "time=$(date +%s)"',
    ]
)


@dataclass(frozen=True)
class HostFacts:
    hostname: str
    os: str
    os_version: str
    cpus: int
    memory_kib: int
    swap_devices: int
    product_uuid: str
    time: int


@dataclass(frozen=True)
class Probe:
    host: Host
    facts: HostFacts | None = None
    unreachable: str = ""  # why, on one line, when the host could not be probed

    def line(self) -> str:
        """The one line the operator reads about a host that could not be probed."""
        return f"{self.host.name} ({self.host.address}): {self.unreachable}"


def parse_facts(output: str) -> HostFacts:
    values = dict(line.split("=", 1) for line in output.splitlines() if "=" in line)

    def number(key: str) -> int:
        text = values.get(key, "").strip()
        return int(text) if text.lstrip("-").isdigit() else -1

    return HostFacts(
        values.get("hostname", "").strip(),
        values.get("os", "").strip(),
        values.get("os_version", "").strip(),
        number("cpus"),
        number("memory_kib"),
        number("swap_devices"),
        values.get("product_uuid", "").strip(),
        number("time"),
    )


def probe(hosts: list[Host], connect_timeout: float = 5.0) -> list[Probe]:
    targets = [
        SshTarget(h.name, h.address, h.ssh.port, h.ssh.user, h.ssh.identity_file, h.ssh.known_hosts_file) for h in hosts
    ]
    outcomes = run_read_only(targets, PROBE_COMMAND, connect_timeout)
    probes = []
    for host in hosts:
        outcome = outcomes[host.name]
        if outcome.output is not None:
            probes.append(Probe(host, parse_facts(outcome.output)))
        else:
            probes.append(Probe(host, unreachable=outcome.error or "no answer"))
    return probes
