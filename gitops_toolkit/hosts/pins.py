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
PORTS = {"control-plane": (6443, 2379, 2380, 10250, 10257, 10259), "worker": (10250, 10256), "platform": (80, 443)}
JOIN_TOKEN_TTL = "15m"

# The platform host: GitLab CE (Linux package) and GitLab Runner from GitLab's apt repositories, at one release.
GITLAB_VERSION = "19.6.0"
RUNNER_VERSION = "19.6.0"
GITLAB_PACKAGE_REVISION = "ce.0"  # gitlab-ce=19.6.0-ce.0
RUNNER_PACKAGE_REVISION = "1"  # gitlab-runner=19.6.0-1 (and gitlab-runner-helper-images at the same version)
GITLAB_REPOSITORIES = {
    "gitlab-ce": "https://packages.gitlab.com/gitlab/gitlab-ce/{distribution}/",
    "gitlab-runner": "https://packages.gitlab.com/runner/gitlab-runner/{distribution}/",
}
PLATFORM_PACKAGES = ("gitlab-ce", "gitlab-runner", "gitlab-runner-helper-images")
# Docker for the runner's Docker executor: the distribution's own package.
DOCKER_PACKAGE = "docker.io"
# GitLab's documented floor for a single node in a memory-constrained setup, and room for the package
# (about 2.5 GB), its database, the repositories and the registry's images.
PLATFORM_MINIMUM_MEMORY_MIB = 8 * 1024
PLATFORM_MINIMUM_DISK_GIB = 20
