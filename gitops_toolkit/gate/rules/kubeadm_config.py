"""What the bootstrap's kubeadm configuration (under platform/) opens beyond kubeadm's defaults: which
control-plane components serve metrics on an address Prometheus can reach (kubeadm binds them to 127.0.0.1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


def opened_components(tree: SourceFiles, root: Path) -> frozenset[str] | None:
    """What the bootstrap's kubeadm configuration opens; None when the repository holds none (nothing to tell)."""
    opened: set[str] = set()
    configured = False
    directory = root / PLATFORM_DIRECTORY
    files = (
        sorted(path for path in directory.rglob("*") if path.suffix in (".yaml", ".yml")) if directory.is_dir() else []
    )
    for path in files:
        for document in tree.documents(path):
            data = document.data if isinstance(document.data, dict) else {}
            if data.get("kind") == "ClusterConfiguration":
                configured = True
                etcd = (data.get("etcd") or {}).get("local")
                if _open(_arguments(etcd).get("listen-metrics-urls")):
                    opened.add("etcd")
                for field, component in (
                    ("controllerManager", "kube-controller-manager"),
                    ("scheduler", "kube-scheduler"),
                ):
                    if _open(_arguments(data.get(field)).get("bind-address")):
                        opened.add(component)
            elif data.get("kind") == "KubeProxyConfiguration" and _open(str(data.get("metricsBindAddress") or "")):
                opened.add("kube-proxy")
    return frozenset(opened) if configured else None
