"""The configuration the bootstrap writes on the hosts, rendered from the templates under platform/templates
(kubeadm, containerd, the registry's hosts.toml, Calico's Installation) and from the pins for the one-line
files (kernel modules, sysctls, apt sources, the kubelet's node address, time servers)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from gitops_toolkit.core.machines import WORKER
from gitops_toolkit.hosts.inventory import Host, Inventory
from gitops_toolkit.hosts.pins import (
    CRI_SOCKET,
    DOCKER_REPOSITORY,
    KERNEL_MODULES,
    KUBERNETES_REPOSITORY,
    PAUSE_IMAGE,
    SYSCTLS,
)

TEMPLATES = Path("platform") / "templates"
KUBEADM_CONFIG = "/etc/kubernetes/bootstrap/kubeadm-config.yaml"
CONTAINERD_CONFIG = "/etc/containerd/config.toml"
REGISTRY_DIRECTORY = "/etc/containerd/certs.d"
KEYRINGS = {
    "kubernetes": ("/etc/apt/keyrings/kubernetes.asc", KUBERNETES_REPOSITORY + "Release.key"),
    "docker": ("/etc/apt/keyrings/docker.asc", DOCKER_REPOSITORY + "/gpg"),
}
# In a plan made before the platform host created its CA: the certificate the apply copies home, then installs.
PENDING_CA = "(the platform host's CA certificate, created by this run)\n"
HEADER = "# Written by `invoke bootstrap`; changes here are replaced on its next run.\n"


@dataclass(frozen=True)
class ManagedFile:
    path: str
    content: str
    restarts: str = ""  # the service that must restart to read it
    mode: str = "0644"


@functools.cache
def _environment(root: Path) -> Environment:
    return Environment(
        loader=FileSystemLoader(root / TEMPLATES),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render_template(root: Path, name: str, **values: str | bool) -> str:
    return _environment(root).get_template(name).render(**values)


def minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def kubeadm_config(root: Path, inventory: Inventory, host: Host) -> str:
    endpoint_host = inventory.control_plane_endpoint.rsplit(":", 1)[0].strip("[]")
    return render_template(
        root,
        "kubeadm-config.yaml",
        node_name=host.name,
        node_address=host.address,
        also_worker=WORKER in host.roles,
        cri_socket=CRI_SOCKET,
        kubernetes_version=inventory.kubernetes_version,
        control_plane_endpoint=inventory.control_plane_endpoint,
        endpoint_host=endpoint_host,
        pod_subnet=inventory.pod_subnet,
        service_subnet=inventory.service_subnet,
    )


def calico_installation(root: Path, inventory: Inventory) -> str:
    return render_template(root, "calico-installation.yaml", pod_subnet=inventory.pod_subnet)


def node_files(root: Path, inventory: Inventory, host: Host, distribution: str, codename: str) -> list[ManagedFile]:
    """Every file the bootstrap keeps on a node, in the order it writes them."""
    kubernetes_repository = KUBERNETES_REPOSITORY.format(minor=minor(inventory.kubernetes_version))
    docker_repository = DOCKER_REPOSITORY.format(distribution=distribution)
    files = [
        ManagedFile("/etc/modules-load.d/kubernetes.conf", HEADER + "".join(f"{m}\n" for m in KERNEL_MODULES)),
        ManagedFile(
            "/etc/sysctl.d/99-kubernetes.conf",
            HEADER + "".join(f"{key} = {value}\n" for key, value in SYSCTLS.items()),
        ),
        ManagedFile(
            "/etc/apt/sources.list.d/kubernetes.list",
            HEADER + f"deb [signed-by={KEYRINGS['kubernetes'][0]}] {kubernetes_repository} /\n",
        ),
        ManagedFile(
            "/etc/apt/sources.list.d/docker.list",
            HEADER + f"deb [signed-by={KEYRINGS['docker'][0]}] {docker_repository} {codename} stable\n",
        ),
        ManagedFile(
            CONTAINERD_CONFIG, render_template(root, "containerd-config.toml", pause_image=PAUSE_IMAGE), "containerd"
        ),
        # The kubelet's address on the LAN: on a host with several interfaces it may otherwise pick the wrong one.
        ManagedFile("/etc/default/kubelet", HEADER + f"KUBELET_EXTRA_ARGS=--node-ip={host.address}\n", "kubelet"),
    ]
    if inventory.registry:
        registry_host, ca_file = inventory.registry
        ca = ca_file.read_text(encoding="utf-8") if ca_file.is_file() else PENDING_CA
        directory = f"{REGISTRY_DIRECTORY}/{registry_host}"
        files += [
            ManagedFile(f"{directory}/ca.crt", ca),
            ManagedFile(
                f"{directory}/hosts.toml",
                render_template(
                    root, "registry-hosts.toml", registry_host=registry_host, ca_path=f"{directory}/ca.crt"
                ),
            ),
        ]
    if inventory.ntp_servers:
        servers = "".join(f"server {server} iburst\n" for server in inventory.ntp_servers)
        files.append(ManagedFile("/etc/chrony/sources.d/gitops-platform.sources", HEADER + servers, "chrony"))
    return files
