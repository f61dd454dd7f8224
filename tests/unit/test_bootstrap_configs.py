"""The configuration the bootstrap writes, for one inventory: byte for byte as the golden files under
tests/fixtures/bootstrap/ (regenerate with GOLDEN_UPDATE=1 and review the diff), and parsed as kubeadm and
containerd read it (YAML, TOML)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from gitops_toolkit.hosts.bootstrap.configs import calico_installation, kubeadm_config, node_files
from gitops_toolkit.hosts.inventory import Inventory, load_inventory
from gitops_toolkit.hosts.pins import PAUSE_IMAGE
from tests.conftest import REPOSITORY, example_inventory

GOLDEN = REPOSITORY / "tests" / "fixtures" / "bootstrap"


@pytest.fixture
def inventory(tmp_path: Path) -> Inventory:
    (tmp_path / "registry-ca.crt").write_text("-----BEGIN CERTIFICATE-----\nstand-in\n-----END CERTIFICATE-----\n")
    extra = f"registry: {{host: registry.local, caFile: {tmp_path / 'registry-ca.crt'}}}\nntpServers: [192.168.10.1]\n"
    return load_inventory(example_inventory(tmp_path, extra), REPOSITORY)


def rendered(inventory: Inventory) -> dict[str, str]:
    control_plane = inventory.hosts[0]
    files = {
        "kubeadm-config.yaml": kubeadm_config(REPOSITORY, inventory, control_plane),
        "calico-installation.yaml": calico_installation(REPOSITORY, inventory),
    }
    for managed in node_files(REPOSITORY, inventory, inventory.hosts[1], "debian", "bookworm"):
        if "ca.crt" not in managed.path:
            files[managed.path.strip("/").replace("/", "_")] = managed.content
    return files


def test_generated_files_match_the_golden_files(inventory: Inventory) -> None:
    files = rendered(inventory)
    if os.environ.get("GOLDEN_UPDATE"):
        for name, content in files.items():
            (GOLDEN / name).write_text(content, encoding="utf-8")
    assert sorted(files) == sorted(path.name for path in GOLDEN.iterdir())
    for name, content in files.items():
        assert content == (GOLDEN / name).read_text(encoding="utf-8"), name


def test_kubeadm_reads_a_v1beta4_configuration_with_metrics_where_prometheus_scrapes(inventory: Inventory) -> None:
    documents = {d["kind"]: d for d in yaml.safe_load_all(kubeadm_config(REPOSITORY, inventory, inventory.hosts[0]))}
    assert set(documents) == {
        "InitConfiguration",
        "ClusterConfiguration",
        "KubeletConfiguration",
        "KubeProxyConfiguration",
    }
    cluster = documents["ClusterConfiguration"]
    assert documents["InitConfiguration"]["apiVersion"] == cluster["apiVersion"] == "kubeadm.k8s.io/v1beta4"
    assert cluster["kubernetesVersion"] == "v1.37.1" and cluster["controlPlaneEndpoint"] == "192.168.10.11:6443"
    assert cluster["networking"] == {"podSubnet": "10.244.0.0/16", "serviceSubnet": "10.96.0.0/12"}
    assert documents["InitConfiguration"]["localAPIEndpoint"]["advertiseAddress"] == "192.168.10.11"
    assert documents["KubeletConfiguration"]["cgroupDriver"] == "systemd"
    etcd_metrics = cluster["etcd"]["local"]["extraArgs"]
    assert etcd_metrics == [{"name": "listen-metrics-urls", "value": "http://127.0.0.1:2381,http://192.168.10.11:2381"}]
    for component in ("controllerManager", "scheduler"):
        assert cluster[component]["extraArgs"] == [{"name": "bind-address", "value": "0.0.0.0"}]
    assert documents["KubeProxyConfiguration"]["metricsBindAddress"] == "0.0.0.0:10249"
    assert "taints" not in documents["InitConfiguration"]["nodeRegistration"]  # kubeadm's NoSchedule taint stays


def test_a_control_plane_that_is_also_a_worker_is_not_tainted(inventory: Inventory) -> None:
    both = replace(inventory.hosts[0], roles=("control-plane", "worker"))
    init = next(yaml.safe_load_all(kubeadm_config(REPOSITORY, inventory, both)))
    assert init["kind"] == "InitConfiguration" and init["nodeRegistration"]["taints"] == []


def test_containerd_reads_a_version_3_configuration_with_the_systemd_cgroup_driver(inventory: Inventory) -> None:
    files = {m.path: m.content for m in node_files(REPOSITORY, inventory, inventory.hosts[1], "debian", "bookworm")}
    config = tomllib.loads(files["/etc/containerd/config.toml"])
    assert config["version"] == 3
    plugins = config["plugins"]
    runc = plugins["io.containerd.cri.v1.runtime"]["containerd"]["runtimes"]["runc"]
    assert runc["options"]["SystemdCgroup"] is True and runc["runtime_type"] == "io.containerd.runc.v2"
    assert plugins["io.containerd.cri.v1.images"]["pinned_images"]["sandbox"] == PAUSE_IMAGE
    assert plugins["io.containerd.cri.v1.images"]["registry"]["config_path"] == "/etc/containerd/certs.d"
    hosts = tomllib.loads(files["/etc/containerd/certs.d/registry.local/hosts.toml"])
    assert hosts["server"] == "https://registry.local"
    assert hosts["host"]["https://registry.local"]["ca"] == "/etc/containerd/certs.d/registry.local/ca.crt"
    assert files["/etc/default/kubelet"].endswith("KUBELET_EXTRA_ARGS=--node-ip=192.168.10.12\n")
