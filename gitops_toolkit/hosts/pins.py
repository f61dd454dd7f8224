"""What the bootstrap installs, pinned in one place. Kubernetes' own version comes from the inventory."""

from __future__ import annotations

# containerd 2.3 is an LTS line; Docker's apt repository ships it as containerd.io with revision -1.
CONTAINERD_PACKAGE = "containerd.io"
CONTAINERD_VERSION = "2.3.4-1"
# The sandbox image kubeadm 1.37 expects; containerd must use the same or kubeadm warns and pulls twice.
PAUSE_IMAGE = "registry.k8s.io/pause:3.10.1"
# pkgs.k8s.io publishes one repository per minor version, every package with the Debian revision -1.1.
KUBERNETES_PACKAGES = ("kubelet", "kubeadm", "kubectl")
KUBERNETES_PACKAGE_REVISION = "1.1"
KUBERNETES_REPOSITORY = "https://pkgs.k8s.io/core:/stable:/v{minor}/deb/"
DOCKER_REPOSITORY = "https://download.docker.com/linux/{distribution}"
# Calico through its operator: the operator's manifest at the inventory's version, then our Installation.
CALICO_OPERATOR_MANIFEST = (
    "https://raw.githubusercontent.com/projectcalico/calico/v{version}/manifests/tigera-operator.yaml"
)
CRI_SOCKET = "unix:///run/containerd/containerd.sock"
# Kernel modules and sysctls every node needs for the pod network (kubeadm's container-runtime prerequisites).
KERNEL_MODULES = ("overlay", "br_netfilter")
SYSCTLS = {
    "net.bridge.bridge-nf-call-iptables": "1",
    "net.bridge.bridge-nf-call-ip6tables": "1",
    "net.ipv4.ip_forward": "1",
}
# What kubeadm, the kubelet and etcd must find free on a host that is not yet a node.
PORTS = {"control-plane": (6443, 2379, 2380, 10250, 10257, 10259), "worker": (10250, 10256)}
JOIN_TOKEN_TTL = "15m"
