"""The steps of a kubeadm upgrade, in the order kubeadm's guide gives them, each left out when the probe shows it
done (so that a second run does nothing and a stopped one resumes): an etcd snapshot first; on the first control
plane kubeadm at the new version, `kubeadm upgrade plan`, then `apply`; then every node, control planes first and
workers in batches: kubeadm, `kubeadm upgrade node`, drained (PodDisruptionBudgets honoured), kubelet and kubectl
at the new version and held, kubelet restarted, uncordoned and Ready before the next batch."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from gitops_toolkit.hosts.bootstrap.cluster_steps import KUBECTL
from gitops_toolkit.hosts.bootstrap.configs import minor, node_files
from gitops_toolkit.hosts.bootstrap.node_steps import APT_INSTALL
from gitops_toolkit.hosts.inventory import Host, Inventory
from gitops_toolkit.hosts.pins import KUBERNETES_PACKAGE_REVISION
from gitops_toolkit.hosts.probe import HostFacts
from gitops_toolkit.tools.ssh import Command, Upload

APISERVER_MANIFEST = "/etc/kubernetes/manifests/kube-apiserver.yaml"
KUBERNETES_LIST = "/etc/apt/sources.list.d/kubernetes.list"
DRAIN_TIMEOUT = "300s"
_READY_SECONDS = 300


# A node's steps come in four stages; the nodes of one batch go through each stage together.
ON_NODE, DRAIN, KUBELET, UNCORDON = range(4)


@dataclass(frozen=True)
class UpgradeStep:
    node: str  # the host it is about
    runs_on: str  # where its commands run (a drain runs on the control plane)
    label: str
    commands: tuple[Command, ...]
    stage: int = ON_NODE


def package_version(facts: HostFacts, name: str) -> str:
    """ "1.37.1" of an installed "1.37.1-1.1"; "" when absent."""
    package = facts.packages.get(name)
    return package.version.rsplit("-", 1)[0] if package and package.version else ""


def cluster_version(facts: HostFacts) -> str:
    """The version the control plane runs: kube-apiserver's image tag in its static pod manifest."""
    match = re.search(r"kube-apiserver:v(\d+\.\d+\.\d+)", facts.files.get(APISERVER_MANIFEST, ""))
    return match[1] if match else ""


def _packages(names: tuple[str, ...], version: str) -> Command:
    """Moved to the exact version and held again (kubeadm's guide: unhold, install, hold)."""
    wanted = " ".join(f"{name}={version}-{KUBERNETES_PACKAGE_REVISION}" for name in names)
    held = " ".join(names)
    return (
        f"apt-mark unhold {held} >/dev/null && {APT_INSTALL} {wanted} >/dev/null && apt-mark hold {held} >/dev/null",
    )


def drain_command(node: str) -> Command:
    """kubectl drain evicts through the Eviction API, so PodDisruptionBudgets hold it back; when it gives up, the
    budgets that allow no disruption now are named."""
    blocking = (
        f"{KUBECTL} get pdb -A -o jsonpath='{{range .items[?(@.status.disruptionsAllowed==0)]}}"
        "{.metadata.namespace}/{.metadata.name} {end}'"
    )
    return (
        f"{KUBECTL} drain {node} --ignore-daemonsets --delete-emptydir-data --timeout={DRAIN_TIMEOUT} >/dev/null 2>&1 "
        f'|| {{ echo "the drain of {node} stopped: blocked by PodDisruptionBudget $({blocking}); '
        f'it waited {DRAIN_TIMEOUT}" >&2; exit 1; }}',
    )


def _uncordon(node: str) -> Command:
    ready = f"{KUBECTL} get node {node} -o jsonpath='{{.status.conditions[?(@.type==\"Ready\")].status}}'"
    return (
        f'{KUBECTL} uncordon {node} >/dev/null && i=0; until [ "$({ready})" = True ]; do '
        f'[ $i -ge {_READY_SECONDS} ] && {{ echo "{node} is not Ready after {_READY_SECONDS} s" >&2; exit 1; }}; '
        "sleep 2; i=$((i+2)); done",
    )


def _repository(root: Path, inventory: Inventory, host: Host, facts: HostFacts, target: str) -> list[UpgradeStep]:
    """pkgs.k8s.io has one repository per minor: the apt list moved to the target's, and the lists refreshed."""
    moved = replace(inventory, kubernetes_version=target)
    wanted = next(f for f in node_files(root, moved, host, facts.os, facts.os_codename) if f.path == KUBERNETES_LIST)
    if facts.files.get(KUBERNETES_LIST) == wanted.content:
        return []
    commands = (Upload(KUBERNETES_LIST, wanted.content), ("apt-get", "update", "-q", ">/dev/null"))
    return [UpgradeStep(host.name, host.name, f"point apt at Kubernetes v{minor(target)}'s repository", commands)]


def node_steps(
    root: Path, inventory: Inventory, host: Host, facts: HostFacts, target: str, first: Host, cordoned: bool
) -> list[UpgradeStep]:
    """Everything `host` still needs for `target`, in order; [] when it is there."""
    steps = _repository(root, inventory, host, facts, target)
    if package_version(facts, "kubeadm") != target:
        steps.append(UpgradeStep(host.name, host.name, f"kubeadm {target}, held", (_packages(("kubeadm",), target),)))
    if host == first and cluster_version(facts) != target:
        steps += [
            UpgradeStep(host.name, host.name, "kubeadm upgrade plan", (("kubeadm", "upgrade", "plan", ">/dev/null"),)),
            UpgradeStep(
                host.name,
                host.name,
                f"kubeadm upgrade apply v{target} (the control plane's static pods, one at a time)",
                (("kubeadm", "upgrade", "apply", f"v{target}", "--yes", ">/dev/null"),),
            ),
        ]
    elif host != first and package_version(facts, "kubelet") != target:
        steps.append(UpgradeStep(host.name, host.name, "kubeadm upgrade node", (("kubeadm upgrade node >/dev/null",),)))
    if package_version(facts, "kubelet") != target:
        steps += [
            UpgradeStep(
                host.name,
                first.name,
                f"drain {host.name} (PodDisruptionBudgets honoured)",
                (drain_command(host.name),),
                DRAIN,
            ),
            UpgradeStep(
                host.name,
                host.name,
                f"kubelet and kubectl {target}, held; kubelet restarted",
                (_packages(("kubelet", "kubectl"), target), ("systemctl daemon-reload && systemctl restart kubelet",)),
                KUBELET,
            ),
        ]
    if package_version(facts, "kubelet") != target or cordoned:
        label = f"uncordon {host.name}, Ready again"
        steps.append(UpgradeStep(host.name, first.name, label, (_uncordon(host.name),), UNCORDON))
    return steps
