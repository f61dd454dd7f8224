"""kube-proxy and Calico must program the same kernel tables. kube-proxy's mode comes from the bootstrap's
KubeProxyConfiguration (`mode`, iptables when unset on Linux); Calico's from its operator's Installation
(`spec.calicoNetwork.linuxDataplane`, Iptables when unset). Calico's nftables data plane needs kube-proxy in
nftables mode and the other way round (a node whose Service rules live in nftables while Calico's policy and NAT
live in iptables drops or misroutes traffic); Calico's eBPF data plane replaces kube-proxy altogether."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gitops_toolkit.core.bounded_yaml import YamlDocument
from gitops_toolkit.core.findings import Finding
from gitops_toolkit.gate.rules.cluster.kubeadm_config import platform_documents
from gitops_toolkit.render.read.source_files import SourceFiles

_KUBE_PROXY_DEFAULT = "iptables"
_CALICO_DEFAULT = "Iptables"
_CALICO_FOR = {"nftables": "Nftables", "iptables": "Iptables", "ipvs": "Iptables"}


@dataclass(frozen=True)
class _Setting:
    value: str
    path: str
    line: int


def _setting(tree: SourceFiles, path: Path, document: YamlDocument, keys: tuple[str, ...], default: str) -> _Setting:
    value = document.data
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return _Setting(str(value or default), tree.relative(path), document.line_of(keys))


def check_data_planes(tree: SourceFiles, root: Path) -> list[Finding]:
    kube_proxy = calico = None
    kube_proxy_skipped = False
    for path, document in platform_documents(tree, root):
        data = document.data  # platform_documents yields mappings only
        kind = data.get("kind")
        if kind == "KubeProxyConfiguration":
            kube_proxy = _setting(tree, path, document, ("mode",), _KUBE_PROXY_DEFAULT)
        elif kind == "Installation" and str(data.get("apiVersion", "")).startswith("operator.tigera.io/"):
            calico = _setting(tree, path, document, ("spec", "calicoNetwork", "linuxDataplane"), _CALICO_DEFAULT)
        elif kind == "InitConfiguration" and "addon/kube-proxy" in (data.get("skipPhases") or []):
            kube_proxy_skipped = True
    if kube_proxy is None or calico is None:
        return []  # not a kubeadm cluster with Calico's operator: nothing to compare
    if calico.value == "BPF":
        if kube_proxy_skipped:
            return []
        message = (
            "Calico's eBPF data plane replaces kube-proxy, which kubeadm still deploys: add `addon/kube-proxy` to "
            "the InitConfiguration's skipPhases, or choose linuxDataplane: Iptables or Nftables"
        )
        return [Finding(calico.path, calico.line, "DATAPLANE-MISMATCH", message)]
    wanted = _CALICO_FOR.get(kube_proxy.value.lower())
    if wanted is None or wanted == calico.value or kube_proxy_skipped:
        return []
    message = (
        f"Calico's data plane is {calico.value} but kube-proxy runs in {kube_proxy.value} mode "
        f"({kube_proxy.path}:{kube_proxy.line}): set spec.calicoNetwork.linuxDataplane: {wanted}, or kube-proxy's "
        f"mode to match {calico.value}"
    )
    return [Finding(calico.path, calico.line, "DATAPLANE-MISMATCH", message)]
