"""Probe every host read-only over SSH: what the preflight judges (distribution, CPUs, memory, swap, host name,
product_uuid, clock, ports, kernel modules) and what the plan compares with the desired state (packages, files,
sysctls, services, kubeadm's own files), gathered by one command per host that changes nothing."""

from __future__ import annotations

import base64
import binascii
import contextlib
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field

from gitops_toolkit.hosts.inventory import Host
from gitops_toolkit.hosts.pins import (
    CONTAINERD_PACKAGE,
    DOCKER_PACKAGE,
    KERNEL_MODULES,
    KUBERNETES_PACKAGES,
    PLATFORM_PACKAGES,
    SYSCTLS,
)
from gitops_toolkit.hosts.platform_host import API_TOKEN, CA_KEY, TOKEN_FILES
from gitops_toolkit.tools.ssh import SshSession, SshTarget

PACKAGES = (CONTAINERD_PACKAGE, *KUBERNETES_PACKAGES, *PLATFORM_PACKAGES, DOCKER_PACKAGE)
SERVICES = ("containerd", "kubelet", "gitlab-runsvdir", "gitlab-runner", "docker")
# Files whose presence matters but whose content is secret (never read by the probe): the platform host's CA
# key, its tokens, GitLab's first administrator password.
SECRET_FILES = (CA_KEY, API_TOKEN, *TOKEN_FILES, "/etc/gitlab/initial_root_password")
# The runner's configuration holds its authentication token: read with that line masked.
RUNNER_CONFIG = "/etc/gitlab-runner/config.toml"
_MASK_TOKEN = r"""sed -E 's/^([[:space:]]*token[[:space:]]*=[[:space:]]*).*/\1"***"/'"""
# kubeadm's files that say how far a node got: joined or initialised, or an init that stopped half-way.
KUBEADM_FILES = {
    "kubelet_conf": "/etc/kubernetes/kubelet.conf",
    "admin_conf": "/etc/kubernetes/admin.conf",
    "apiserver_manifest": "/etc/kubernetes/manifests/kube-apiserver.yaml",
    "cluster_ca": "/etc/kubernetes/pki/ca.crt",
}


def probe_command(watched_files: Iterable[str] = ()) -> str:
    """One key=value per line; every value from a file or a command that only reads. Watched files come back
    base64-encoded (absent ones not at all); the admin kubeconfig only as its sha256, never its content."""
    lines = [
        'echo "hostname=$(hostname)"',
        '( . /etc/os-release 2>/dev/null; echo "os=$ID"; echo "os_version=$VERSION_ID"; '
        'echo "os_codename=$VERSION_CODENAME" )',
        'echo "cpus=$(nproc)"',
        "echo \"memory_kib=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)\"",
        'echo "swap_devices=$(swapon --noheadings --show=NAME 2>/dev/null | wc -l)"',
        'echo "fstab_swap=$(awk \'$1 !~ /^#/ && $3 == "swap" {printf "%s ", $1}\' /etc/fstab 2>/dev/null)"',
        'echo "swap_target=$(systemctl is-enabled swap.target 2>/dev/null)"',
        'echo "product_uuid=$(cat /sys/class/dmi/id/product_uuid 2>/dev/null)"',
        # Hardware addresses of the interfaces that have one (not loopback).
        "echo \"macs=$(cat /sys/class/net/*/address 2>/dev/null | grep -v '^00:00:00:00:00:00$' | tr '\\n' ' ')\"",
        'echo "time=$(date +%s)"',
        'echo "ports_in_use=$(ss -Hltn 2>/dev/null | awk \'{n = split($4, a, ":"); printf "%s ", a[n]}\')"',
        'echo "modules=$(lsmod 2>/dev/null | awk \'NR > 1 {printf "%s ", $1}\')"',
        f'for m in {" ".join(KERNEL_MODULES)}; do modprobe -n -q "$m" 2>/dev/null || echo "module_missing=$m"; done',
        *(f'echo "sysctl.{key}=$(sysctl -n {key} 2>/dev/null)"' for key in SYSCTLS),
        *(
            f"echo \"package.{name}=$(dpkg-query -W -f='${{db:Status-Abbrev}}${{Version}}' {name} 2>/dev/null)\""
            for name in PACKAGES
        ),
        *(f'echo "service.{name}=$(systemctl is-enabled {name})/$(systemctl is-active {name})"' for name in SERVICES),
        *(f'test -e {path} && echo "{key}=yes"' for key, path in KUBEADM_FILES.items()),
        'test -e /etc/kubernetes/admin.conf && echo "admin_conf_sha256=$(sha256sum < /etc/kubernetes/admin.conf)"',
        "echo \"disk_free_kib=$(df -Pk /var 2>/dev/null | awk 'NR == 2 {print $4}')\"",
        *(f'test -e {path} && echo "present={path}"' for path in SECRET_FILES),
        f'test -f {RUNNER_CONFIG} && echo "file.{RUNNER_CONFIG}=$({_MASK_TOKEN} {RUNNER_CONFIG} | base64 -w0)"',
        *(
            f'test -f {shlex.quote(path)} && echo "file.{path}=$(base64 -w0 < {shlex.quote(path)})"'
            for path in watched_files
        ),
        "true",
    ]
    return "; ".join(lines)


@dataclass(frozen=True)
class Package:
    version: str  # "" when not installed
    held: bool


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
    os_codename: str = ""
    macs: tuple[str, ...] = ()
    fstab_swap: tuple[str, ...] = ()
    swap_target: str = ""  # `systemctl is-enabled swap.target`: "masked" once the bootstrap masked it
    ports_in_use: frozenset[int] = frozenset()
    modules: frozenset[str] = frozenset()
    modules_missing: tuple[str, ...] = ()  # kernel modules modprobe cannot find
    sysctls: dict[str, str] = field(default_factory=dict)
    packages: dict[str, Package] = field(default_factory=dict)
    services: dict[str, tuple[str, str]] = field(default_factory=dict)  # name: (is-enabled, is-active)
    kubeadm: frozenset[str] = frozenset()  # keys of KUBEADM_FILES present
    admin_conf_sha256: str = ""
    files: dict[str, str] = field(default_factory=dict)  # watched file: content, when present
    disk_free_kib: int = -1  # free under /var (GitLab's data, the registry's images)
    present: frozenset[str] = frozenset()  # which of SECRET_FILES exist

    @property
    def is_node(self) -> bool:
        """Already a member of a cluster (joined, or the control plane kubeadm initialised)."""
        return "kubelet_conf" in self.kubeadm


@dataclass(frozen=True)
class Probe:
    host: Host
    facts: HostFacts | None = None
    unreachable: str = ""  # why, on one line, when the host could not be probed
    host_key: str = ""  # tools.ssh.HOST_KEY_UNKNOWN or HOST_KEY_CHANGED when its key refused it

    def line(self) -> str:
        """The one line the operator reads about a host that could not be probed."""
        return f"{self.host.name} ({self.host.address}): {self.unreachable}"


def _decoded(text: str) -> str:
    try:
        return base64.b64decode(text, validate=True).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return ""


def _package(status_and_version: str) -> Package:
    # dpkg's status abbreviation: desired (i install, h hold), then current (i installed), then errors.
    status, version = status_and_version[:3], status_and_version[3:].strip()
    installed = len(status) >= 2 and status[1] == "i"
    return Package(version if installed else "", status.startswith("h"))


def _service(enabled_and_active: str) -> tuple[str, str]:
    enabled, _, active = enabled_and_active.partition("/")
    return enabled, active


def parse_facts(output: str) -> HostFacts:
    pairs = [line.split("=", 1) for line in output.splitlines() if "=" in line]
    values = {key: value.strip() for key, value in pairs}

    def number(key: str) -> int:
        text = values.get(key, "")
        return int(text) if text.lstrip("-").isdigit() else -1

    def prefixed(prefix: str) -> dict[str, str]:
        return {key.removeprefix(prefix): value for key, value in values.items() if key.startswith(prefix)}

    return HostFacts(
        hostname=values.get("hostname", ""),
        os=values.get("os", ""),
        os_version=values.get("os_version", ""),
        cpus=number("cpus"),
        memory_kib=number("memory_kib"),
        swap_devices=number("swap_devices"),
        product_uuid=values.get("product_uuid", ""),
        time=number("time"),
        os_codename=values.get("os_codename", ""),
        macs=tuple(values.get("macs", "").split()),
        fstab_swap=tuple(values.get("fstab_swap", "").split()),
        swap_target=values.get("swap_target", ""),
        ports_in_use=frozenset(int(port) for port in values.get("ports_in_use", "").split() if port.isdigit()),
        modules=frozenset(values.get("modules", "").split()),
        modules_missing=tuple(value.strip() for key, value in pairs if key == "module_missing"),
        sysctls=prefixed("sysctl."),
        packages={name: _package(text) for name, text in prefixed("package.").items()},
        services={name: _service(text) for name, text in prefixed("service.").items()},
        kubeadm=frozenset(key for key in KUBEADM_FILES if values.get(key) == "yes"),
        admin_conf_sha256=values.get("admin_conf_sha256", "").split(" ")[0],
        files={path: _decoded(text) for path, text in prefixed("file.").items()},
        disk_free_kib=number("disk_free_kib"),
        present=frozenset(value.strip() for key, value in pairs if key == "present"),
    )


def targets(hosts: Iterable[Host]) -> list[SshTarget]:
    return [
        SshTarget(h.name, h.address, h.ssh.port, h.ssh.user, h.ssh.identity_file, h.ssh.known_hosts_file) for h in hosts
    ]


def probe(
    hosts: list[Host],
    connect_timeout: float = 5.0,
    watched_files: Iterable[str] = (),
    session: SshSession | None = None,
) -> list[Probe]:
    """Every host's facts (or why it could not be probed), through `session` or a session of its own."""
    with contextlib.nullcontext(session) if session else SshSession() as ssh:
        outcomes = ssh.run_command(targets(hosts), probe_command(watched_files), connect_timeout)
    probes = []
    for host in hosts:
        outcome = outcomes[host.name]
        if outcome.output is not None:
            probes.append(Probe(host, parse_facts(outcome.output)))
        else:
            probes.append(Probe(host, unreachable=outcome.error or "no answer", host_key=outcome.host_key))
    return probes
