"""The platform host's names (gitlab.DOMAIN, registry.DOMAIN) where `nameResolution: hosts` wants them: a block
of /etc/hosts on every host, and CoreDNS's `hosts` block in the cluster, so that pods resolve them too."""

from __future__ import annotations

from pathlib import Path

from gitops_toolkit.hosts.bootstrap.argo_cd import Manifest
from gitops_toolkit.hosts.bootstrap.configs import ManagedFile, render_template
from gitops_toolkit.hosts.bootstrap.node_steps import Change, file_change
from gitops_toolkit.hosts.inventory import Host, Inventory
from gitops_toolkit.hosts.probe import HostFacts

HOSTS_FILE = "/etc/hosts"
_BEGIN = "# BEGIN gitops-platform: written by `invoke bootstrap`"
_END = "# END gitops-platform"


def wanted_hosts_file(current: str, address: str, names: list[str]) -> str:
    """`current` with our block (and only ours) replaced or added at its end; every other line kept as it is."""
    lines, inside = [], False
    for line in current.splitlines():
        if line == _BEGIN:
            inside = True
        elif line == _END and inside:
            inside = False
        elif not inside:
            lines.append(line)
    kept = "\n".join(lines).rstrip("\n")
    return f"{kept}\n{_BEGIN}\n{address} {' '.join(names)}\n{_END}\n".lstrip("\n")


def names_change(inventory: Inventory, host: Host, phase: str, facts: HostFacts) -> Change | None:
    """/etc/hosts naming the platform host, when the inventory wants the names there."""
    settings, platform = inventory.platform, inventory.platform_host
    if settings is None or platform is None or settings.name_resolution != "hosts":
        return None
    current = facts.files.get(HOSTS_FILE, "")
    wanted = wanted_hosts_file(current, platform.address, [settings.gitlab_name, settings.registry_name])
    return file_change(host.name, phase, ManagedFile(HOSTS_FILE, wanted), current)


def coredns_manifest(root: Path, inventory: Inventory) -> Manifest | None:
    """CoreDNS's configuration answering the platform host's names, when the inventory wants the names there."""
    settings, platform = inventory.platform, inventory.platform_host
    if settings is None or platform is None or settings.name_resolution != "hosts":
        return None
    text = render_template(
        root,
        "coredns-configmap.yaml",
        address=platform.address,
        gitlab_name=settings.gitlab_name,
        registry_name=settings.registry_name,
    )
    return Manifest(f"CoreDNS's configuration answering {settings.gitlab_name} and {settings.registry_name}", text)
