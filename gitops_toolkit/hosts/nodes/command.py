"""`invoke node-remove NAME` and `invoke reset --limit NAME`, over SSH.

node-remove: the node drained (PodDisruptionBudgets honoured, the blocking one named), its Node deleted through a
control plane that stays, then on the host `kubeadm reset`, the CNI's configuration and the rules kube-proxy and
the CNI left in iptables and nftables cleaned (kubeadm reset leaves them), and with --purge the Kubernetes
packages removed. Refused for the only control plane. reset: only the host's part, for a host that never joined
properly. Without --yes both print their steps and change nothing; each step is left out once done, so a second
run does nothing. Exit 0 done (or planned), 1 a failed step, 2 wrong input."""

from __future__ import annotations

import sys
from pathlib import Path

from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.hosts.bootstrap.argo_cd import site_inventory
from gitops_toolkit.hosts.bootstrap.cluster_steps import KUBECTL
from gitops_toolkit.hosts.inventory import Host, Inventory
from gitops_toolkit.hosts.probe import targets
from gitops_toolkit.hosts.upgrade.steps import drain_command
from gitops_toolkit.tools.ssh import Command, SshSession, Step

CLEAN_NETWORK = (
    "rm -rf /etc/cni/net.d /var/lib/cni; "
    "if command -v iptables >/dev/null; then iptables -F && iptables -t nat -F && iptables -t mangle -F && "
    "iptables -X; fi; if command -v nft >/dev/null; then nft flush ruleset; fi; "
    "if command -v ipvsadm >/dev/null; then ipvsadm --clear; fi"
)
PURGE = (
    "apt-mark unhold kubelet kubeadm kubectl >/dev/null 2>&1; "
    "DEBIAN_FRONTEND=noninteractive apt-get purge -y -q kubelet kubeadm kubectl >/dev/null"
)


def _host(inventory: Inventory, name: str) -> Host:
    found = [host for host in inventory.cluster_hosts if host.name == name]
    if not found:
        names = ", ".join(host.name for host in inventory.cluster_hosts)
        raise ToolError(f"{name}: not a node of the inventory (its nodes: {names})")
    return found[0]


def _state(session: SshSession, host: Host, executor: Host | None, timeout: float) -> tuple[bool, bool, bool]:
    """(a Node of that name exists, the host has a kubelet configuration, its packages are installed)."""
    read = "[ -f /etc/kubernetes/kubelet.conf ] && echo joined; dpkg-query -W kubelet >/dev/null 2>&1 && echo installed"
    on_host = session.run_command(targets([host]), f"{read}; echo read", timeout)[host.name]
    if on_host.error:
        raise ToolError(f"{host.name} ({host.address}): {on_host.error}")
    node = False
    if executor is not None:
        answer = session.run_command(
            targets([executor]), f"{KUBECTL} get node {host.name} -o name >/dev/null 2>&1 && echo exists; echo", timeout
        )[executor.name]
        if answer.error:
            raise ToolError(f"{executor.name} ({executor.address}): {answer.error}")
        node = "exists" in (answer.output or "")
    said = on_host.output or ""
    return node, "joined" in said, "installed" in said


def _steps(host: Host, executor: Host | None, state: tuple[bool, bool, bool], purge: bool) -> list[tuple[str, Step]]:
    """(where it runs, step)."""
    node, joined, installed = state
    steps: list[tuple[str, Step]] = []
    if executor is not None and node:
        steps.append(
            (executor.name, Step(f"drain {host.name} (PodDisruptionBudgets honoured)", (drain_command(host.name),)))
        )
        delete: Command = (f"{KUBECTL} delete node {host.name} >/dev/null",)
        steps.append((executor.name, Step(f"delete the Node {host.name}", (delete,))))
    if joined:
        reset: tuple[Command, ...] = (("kubeadm", "reset", "--force", ">/dev/null"), (CLEAN_NETWORK,))
        steps.append((host.name, Step("kubeadm reset; CNI configuration, iptables and nftables rules removed", reset)))
    if purge and installed:
        steps.append((host.name, Step("remove the kubelet, kubeadm and kubectl packages", ((PURGE,),))))
    return steps


def _run(
    inventory: Inventory, host: Host, executor: Host | None, purge: bool, apply: bool, verb: str, timeout: float
) -> int:
    hosts = {h.name: h for h in inventory.hosts}
    with SshSession() as session:
        try:
            steps = _steps(host, executor, _state(session, host, executor, timeout), purge)
        except ToolError as error:
            print(f"{verb}: {error}", file=sys.stderr)
            return 1
        for where, step in steps:
            print(f"{where}: {'-' if apply else '+'} {step.label}")
        if not steps:
            print(f"nothing to do: {host.name} is not a node and holds no kubeadm state")
            return 0
        if not apply:
            print("nothing was changed; pass --yes to do it")
            return 0
        for where, step in steps:
            outcome = session.run_steps(targets([hosts[where]]), {where: [step]}, timeout)[where]
            if outcome.error:
                print(
                    f"{verb}: {where} ({hosts[where].address}): {outcome.error}; run it again: it resumes",
                    file=sys.stderr,
                )
                return 1
    print(f"done; take {host.name} out of the inventory, or `invoke bootstrap --limit {host.name}` joins it again")
    return 0


def node_remove_command(
    root: Path, inventory_file: Path, name: str, yes: bool, purge: bool = False, timeout: float = 30
) -> int:
    try:
        inventory = site_inventory(inventory_file, root)
        host = _host(inventory, name)
        staying = [cp for cp in inventory.control_planes if cp != host]
        if not staying:
            raise ToolError(f"{name} is the only control plane: removing it removes the cluster")
    except ToolError as error:
        print(f"node-remove: {error}", file=sys.stderr)
        return 2
    return _run(inventory, host, staying[0], purge, yes, "node-remove", timeout)


def reset_command(root: Path, inventory_file: Path, limit: list[str], yes: bool, timeout: float = 30) -> int:
    try:
        inventory = site_inventory(inventory_file, root)
        if len(limit) != 1:
            raise ToolError("--limit NAME: name the one host to reset")
        host = _host(inventory, limit[0])
    except ToolError as error:
        print(f"reset: {error}", file=sys.stderr)
        return 2
    return _run(inventory, host, None, False, yes, "reset", timeout)
