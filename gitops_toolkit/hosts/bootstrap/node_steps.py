"""What a node needs before kubeadm, compared with what the probe found: each difference is a Change with the
commands that make it. Nothing here connects anywhere; an empty list means the node is already as wanted."""

from __future__ import annotations

import difflib
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from gitops_toolkit.hosts.bootstrap.configs import KEYRINGS, ManagedFile, minor, node_files
from gitops_toolkit.hosts.inventory import Host, Inventory
from gitops_toolkit.hosts.pins import (
    CONTAINERD_PACKAGE,
    CONTAINERD_VERSION,
    KERNEL_MODULES,
    KUBERNETES_PACKAGE_REVISION,
    KUBERNETES_PACKAGES,
    SYSCTLS,
)
from gitops_toolkit.hosts.probe import HostFacts
from gitops_toolkit.tools.ssh import Command, Upload

NODE, CONTROL_PLANE_PHASE, JOIN = "node", "control plane", "join"
APT_INSTALL = (
    "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --allow-change-held-packages --allow-downgrades "
    "-o Dpkg::Options::=--force-confold"
)


@dataclass(frozen=True)
class Change:
    host: str
    phase: str  # NODE, CONTROL_PLANE_PHASE or JOIN: the order the apply works in
    kind: str  # package, file, kernel, service, swap, kubeadm, cluster, kubeconfig
    summary: str
    diff: str = ""
    commands: tuple[Command, ...] = field(default=(), repr=False)
    # What the apply does itself instead of commands on the host (a GitLab API call's key), or fills the commands of
    # once the platform host made what they need (a credential's marker).
    action: str = ""

    @property
    def label(self) -> str:
        return f"{self.kind}: {self.summary}"


def file_diff(path: str, current: str | None, wanted: str) -> str:
    lines = difflib.unified_diff(
        (current or "").splitlines(keepends=True),
        wanted.splitlines(keepends=True),
        fromfile=f"{path} (on the host)" if current is not None else "/dev/null",
        tofile=f"{path} (wanted)",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def file_change(host: str, phase: str, managed: ManagedFile, current: str | None) -> Change | None:
    if current == managed.content:
        return None
    commands: list[Command] = [Upload(managed.path, managed.content, managed.mode)]
    summary = f"{'create' if current is None else 'update'} {managed.path}"
    return Change(host, phase, "file", summary, file_diff(managed.path, current, managed.content), tuple(commands))


def wanted_packages(inventory: Inventory) -> dict[str, str]:
    kubernetes = f"{inventory.kubernetes_version}-{KUBERNETES_PACKAGE_REVISION}"
    wanted = {CONTAINERD_PACKAGE: CONTAINERD_VERSION, **dict.fromkeys(KUBERNETES_PACKAGES, kubernetes)}
    if inventory.ntp_servers:
        wanted["chrony"] = ""  # the distribution's own, any version
    return wanted


def watched_files(root: Path, inventory: Inventory) -> list[str]:
    """Every file whose content the plan compares (the same paths on every host)."""
    sample = inventory.hosts[0]
    return [managed.path for managed in node_files(root, inventory, sample, "debian", "")] + [
        path for path, _ in KEYRINGS.values()
    ]


def _swap_changes(host: Host, facts: HostFacts) -> list[Change]:
    changes = []
    if facts.fstab_swap:
        entries = ", ".join(facts.fstab_swap)
        command = (
            r"sed -i -E 's@^([^#[:space:]]+[[:space:]]+[^[:space:]]+[[:space:]]+swap[[:space:]].*)$@# \1@' /etc/fstab",
        )
        changes.append(
            Change(host.name, NODE, "swap", f"comment out the swap entries of /etc/fstab ({entries})", "", (command,))
        )
    if facts.swap_target != "masked":
        summary = "mask swap.target, so that no swap comes back at boot"
        changes.append(Change(host.name, NODE, "swap", summary, "", (("systemctl", "mask", "swap.target"),)))
    return changes


def _kernel_changes(host: Host, facts: HostFacts, files: dict[str, ManagedFile]) -> list[Change]:
    changes = []
    modules = files["/etc/modules-load.d/kubernetes.conf"]
    sysctls = files["/etc/sysctl.d/99-kubernetes.conf"]
    for managed in (modules, sysctls):
        change = file_change(host.name, NODE, managed, facts.files.get(managed.path))
        if change:
            changes.append(change)
    unloaded = [module for module in KERNEL_MODULES if module not in facts.modules]
    if unloaded:
        commands = tuple(("modprobe", module) for module in unloaded)
        changes.append(Change(host.name, NODE, "kernel", f"load {', '.join(unloaded)}", "", commands))
    wrong = {key: value for key, value in SYSCTLS.items() if facts.sysctls.get(key) != value}
    if wrong:
        summary = "set " + ", ".join(
            f"{key}={value} (now {facts.sysctls.get(key) or 'unset'})" for key, value in wrong.items()
        )
        changes.append(Change(host.name, NODE, "kernel", summary, "", (("sysctl", "--system", ">/dev/null"),)))
    return changes


def installed(facts: HostFacts, name: str) -> str:
    package = facts.packages.get(name)
    return package.version if package else ""


def package_changes(
    host: Host, phase: str, facts: HostFacts, wanted: dict[str, str], lists_changed: bool, hold_reason: str
) -> list[Change]:
    """The wanted packages ({name: exact version, or "" for any}) installed, and the pinned ones held; the package
    lists refreshed alone when only they changed."""
    changes = []
    missing = {
        name: version
        for name, version in wanted.items()
        if not installed(facts, name) or (version and installed(facts, name) != version)
    }
    update: Command = ("apt-get", "update", "-q", ">/dev/null")
    if missing:
        words = [f"{name}={version}" if version else name for name, version in missing.items()]
        described = ", ".join(
            f"{name} {version or '(any version)'} (now {installed(facts, name) or 'not installed'})"
            for name, version in missing.items()
        )
        commands: tuple[Command, ...] = (update, (APT_INSTALL, *words, ">/dev/null"))
        changes.append(Change(host.name, phase, "package", f"install {described}", "", commands))
    elif lists_changed:
        changes.append(Change(host.name, phase, "package", "refresh the package lists", "", (update,)))
    pinned = [name for name, version in wanted.items() if version]
    unheld = [name for name in pinned if not (facts.packages.get(name) and facts.packages[name].held)]
    if unheld:
        summary = f"hold {', '.join(unheld)} at their pinned versions{hold_reason}"
        changes.append(Change(host.name, phase, "package", summary, "", (("apt-mark", "hold", *unheld, ">/dev/null"),)))
    return changes


def keyring_change(host: Host, phase: str, name: str, path: str, url: str) -> Change:
    """An apt repository's signing key downloaded to `path` (its list names it with signed-by)."""
    commands: tuple[Command, ...] = (
        ("mkdir", "-p", "/etc/apt/keyrings"),
        ("curl", "-fsSL", "--retry", "3", "-o", path, shlex.quote(url)),
    )
    return Change(host.name, phase, "file", f"download the {name} apt key to {path}", "", commands)


def _repository_changes(host: Host, facts: HostFacts, inventory: Inventory, files: list[ManagedFile]) -> list[Change]:
    """The apt repositories' keys and source lists (pkgs.k8s.io for this minor version, Docker's for containerd)."""
    changes = [
        keyring_change(
            host, NODE, name, path, url.format(minor=minor(inventory.kubernetes_version), distribution=facts.os)
        )
        for name, (path, url) in KEYRINGS.items()
        if path not in facts.files
    ]
    for managed in files:
        change = file_change(host.name, NODE, managed, facts.files.get(managed.path))
        if change:
            changes.append(change)
    return changes


def _service_changes(host: Host, facts: HostFacts, restarts: list[str]) -> list[Change]:
    """containerd enabled and (re)started with its configuration; the kubelet enabled (kubeadm starts it)."""
    changes = []
    enabled, active = facts.services.get("containerd", ("", ""))
    if enabled != "enabled":
        command: Command = ("systemctl", "enable", "containerd")
        changes.append(Change(host.name, NODE, "service", "enable containerd at boot", "", (command,)))
    # A restart also starts it; and the package may have started it with its own configuration (CRI disabled).
    if active != "active" and "containerd" not in restarts:
        restarts = ["containerd", *restarts]
    for service in restarts:
        # The kubelet restarts by itself until kubeadm configures it; restarting it before is pointless.
        if service == "kubelet" and not facts.is_node:
            continue
        summary = f"restart {service} to read its configuration"
        changes.append(Change(host.name, NODE, "service", summary, "", (("systemctl", "restart", service),)))
    if facts.services.get("kubelet", ("", ""))[0] != "enabled":
        summary = "enable kubelet (kubeadm starts it)"
        changes.append(Change(host.name, NODE, "service", summary, "", (("systemctl", "enable", "kubelet"),)))
    return changes


def node_changes(root: Path, inventory: Inventory, host: Host, facts: HostFacts) -> list[Change]:
    """Everything the apply would change on this node before kubeadm, in order."""
    files = {managed.path: managed for managed in node_files(root, inventory, host, facts.os, facts.os_codename)}
    changes = _swap_changes(host, facts) + _kernel_changes(host, facts, files)
    sources = [managed for path, managed in files.items() if path.startswith("/etc/apt/")]
    repositories = _repository_changes(host, facts, inventory, sources)
    changes += repositories + package_changes(
        host, NODE, facts, wanted_packages(inventory), bool(repositories), " (no upgrade behind kubeadm's back)"
    )
    restarts: list[str] = []
    for managed in files.values():
        if managed.path.startswith(("/etc/apt/", "/etc/modules-load.d/", "/etc/sysctl.d/")):
            continue
        change = file_change(host.name, NODE, managed, facts.files.get(managed.path))
        if change:
            changes.append(change)
            if managed.restarts and managed.restarts not in restarts:
                restarts.append(managed.restarts)
    return changes + _service_changes(host, facts, restarts)
