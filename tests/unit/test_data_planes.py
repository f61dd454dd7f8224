"""DATAPLANE-MISMATCH: kube-proxy's mode in the bootstrap's KubeProxyConfiguration against Calico's data plane in
its operator's Installation, both under platform/, as Calico requires them to pair."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_toolkit.gate.rules.cluster.data_planes import check_data_planes
from gitops_toolkit.render.read.source_files import SourceFiles

KUBE_PROXY = "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n{mode}"
INIT = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n{skip}"
CALICO = (
    "apiVersion: operator.tigera.io/v1\nkind: Installation\nmetadata:\n  name: default\nspec:\n"
    "  calicoNetwork:\n{plane}"
)


def mismatches(tmp_path: Path, mode: str, plane: str, skip: str = "") -> list[str]:
    platform = tmp_path / "platform"
    platform.mkdir()
    kubeadm = [INIT.format(skip=skip), KUBE_PROXY.format(mode=f"mode: {mode}\n" if mode else "")]
    (platform / "kubeadm-config.yaml").write_text("---\n".join(kubeadm), encoding="utf-8")
    body = f"    linuxDataplane: {plane}\n" if plane else "    bgp: Disabled\n"
    (platform / "calico.yaml").write_text(CALICO.format(plane=body), encoding="utf-8")
    found = check_data_planes(SourceFiles(tmp_path), tmp_path)
    return [f"{f.path}:{f.line}: {f.message.split(' (')[0].split(', which')[0]}" for f in found]


@pytest.mark.parametrize(
    ("mode", "plane", "skip"),
    [
        ("nftables", "Nftables", ""),
        ("", "", ""),  # both defaults: iptables
        ("iptables", "Iptables", ""),
        ("ipvs", "", ""),  # kube-proxy's IPVS beside Calico's iptables data plane
        ("nftables", "BPF", "skipPhases: [addon/kube-proxy]\n"),  # eBPF replaces kube-proxy
    ],
)
def test_paired_data_planes_pass(tmp_path: Path, mode: str, plane: str, skip: str) -> None:
    assert mismatches(tmp_path, mode, plane, skip) == []


@pytest.mark.parametrize(
    ("mode", "plane", "reported"),
    [
        (
            "nftables",
            "",
            "platform/calico.yaml:6: Calico's data plane is Iptables but kube-proxy runs in nftables mode",
        ),
        (
            "",
            "Nftables",
            "platform/calico.yaml:7: Calico's data plane is Nftables but kube-proxy runs in iptables mode",
        ),
        (
            "nftables",
            "BPF",
            "platform/calico.yaml:7: Calico's eBPF data plane replaces kube-proxy",
        ),
    ],
)
def test_unpaired_data_planes_are_reported_at_calicos_installation(
    tmp_path: Path, mode: str, plane: str, reported: str
) -> None:
    assert mismatches(tmp_path, mode, plane) == [reported]


def test_without_calicos_installation_nothing_is_compared(tmp_path: Path) -> None:
    (tmp_path / "platform").mkdir()
    (tmp_path / "platform" / "kube-proxy.yaml").write_text(KUBE_PROXY.format(mode="mode: nftables\n"), encoding="utf-8")
    assert check_data_planes(SourceFiles(tmp_path), tmp_path) == []
