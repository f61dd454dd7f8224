"""What the bootstrap's kubeadm configuration (under platform/) says beyond kubeadm's defaults: which control-plane
components serve metrics on an address Prometheus can reach (kubeadm binds them to 127.0.0.1), and what the kubelet
keeps of each node for itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gitops_toolkit.core.bounded_yaml import YamlDocument
from gitops_toolkit.core.object_paths import mapping
from gitops_toolkit.core.quantities import quantity
from gitops_toolkit.render.read.source_files import SourceFiles

PLATFORM_DIRECTORY = "platform"
_BIND_ADDRESS_FIELDS = (("controllerManager", "kube-controller-manager"), ("scheduler", "kube-scheduler"))
_LOOPBACK = ("127.", "localhost", "[::1]", "::1")


def _arguments(component: Any) -> dict[str, str]:
    """extraArgs as a map: kubeadm v1beta4 lists {name, value}; v1beta3 used a map."""
    arguments = component.get("extraArgs") if isinstance(component, dict) else None
    if isinstance(arguments, list):
        return {str(item.get("name")): str(item.get("value")) for item in arguments if isinstance(item, dict)}
    return {str(key): str(value) for key, value in arguments.items()} if isinstance(arguments, dict) else {}


def _open(address: str | None) -> bool:
    """An address (or URL list) that listens beyond the loopback interface."""
    if not address:
        return False
    hosts = [part.split("://", 1)[-1] for part in address.split(",")]
    return any(host and not host.startswith(_LOOPBACK) for host in hosts)


def platform_documents(tree: SourceFiles, root: Path) -> Iterator[tuple[Path, YamlDocument]]:
    """Every YAML document under platform/ (the bootstrap's templates stay valid YAML), with its file."""
    directory = root / PLATFORM_DIRECTORY
    files = (
        sorted(path for path in directory.rglob("*") if path.suffix in (".yaml", ".yml")) if directory.is_dir() else []
    )
    for path in files:
        for document in tree.documents(path):
            if isinstance(document.data, dict):
                yield path, document


def _configurations(tree: SourceFiles, root: Path) -> Iterator[dict[str, Any]]:
    for _, document in platform_documents(tree, root):
        yield document.data


def opened_components(tree: SourceFiles, root: Path) -> frozenset[str] | None:
    """What the bootstrap's kubeadm configuration opens; None when the repository holds none (nothing to tell)."""
    opened: set[str] = set()
    configured = False
    for data in _configurations(tree, root):
        if data.get("kind") == "ClusterConfiguration":
            configured = True
            etcd = (data.get("etcd") or {}).get("local")
            if _open(_arguments(etcd).get("listen-metrics-urls")):
                opened.add("etcd")
            for field, component in _BIND_ADDRESS_FIELDS:
                if _open(_arguments(data.get(field)).get("bind-address")):
                    opened.add(component)
        elif data.get("kind") == "KubeProxyConfiguration" and _open(str(data.get("metricsBindAddress") or "")):
            opened.add("kube-proxy")
    return frozenset(opened) if configured else None


# The kubelet's defaults: nothing reserved, pods evicted when less than 100Mi of memory is left.
_EVICTION_DEFAULT = "100Mi"


def kubelet_reservations(tree: SourceFiles, root: Path) -> tuple[int, int]:
    """(millicores, bytes) the kubelet keeps of every node: kubeReserved and systemReserved, plus the memory its
    hard eviction threshold keeps free, from the bootstrap's KubeletConfiguration (the kubelet's defaults without
    one)."""
    cpu, memory = 0, int(quantity(_EVICTION_DEFAULT) or 0)
    for data in _configurations(tree, root):
        if data.get("kind") != "KubeletConfiguration":
            continue
        for field in ("kubeReserved", "systemReserved"):
            reserved = mapping(data.get(field))
            cpu += int((quantity(reserved.get("cpu", 0)) or 0) * 1000)
            memory += int(quantity(reserved.get("memory", 0)) or 0)
        eviction = mapping(data.get("evictionHard"))
        if "memory.available" in eviction:
            memory += int(quantity(eviction["memory.available"]) or 0) - int(quantity(_EVICTION_DEFAULT) or 0)
    return cpu, memory
