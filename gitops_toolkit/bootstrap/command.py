"""`invoke bootstrap`: read the inventory (every defect before any connection), probe the hosts over SSH,
preflight, plan every change, and (unless --plan) apply it: nodes in parallel, then kubeadm init and the hand-over
to Argo CD on the first control plane, then the workers' joins in parallel. Exit 0 when the apply could proceed
(or did), 1 when a finding or a failed step stops it, 2 when the tool could not run."""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

from gitops_toolkit.bootstrap.argo_cd import root_repository_url
from gitops_toolkit.bootstrap.cluster_steps import (
    CREATE_JOIN_TOKEN,
    ClusterInputs,
    cluster_inputs,
    control_plane_changes,
    join_change,
    join_commands,
    parse_join_command,
    watched_markers,
)
from gitops_toolkit.bootstrap.kubeconfig import kubeconfig_path, local_sha256, write_private
from gitops_toolkit.bootstrap.node_steps import CONTROL_PLANE_PHASE, JOIN, NODE, Change, node_changes, watched_files
from gitops_toolkit.bootstrap.report import DONE, FAILED, Report, write_json, write_text
from gitops_toolkit.errors import ToolError
from gitops_toolkit.hosts.inventory import Host, Inventory, load_inventory
from gitops_toolkit.hosts.preflight import preflight
from gitops_toolkit.hosts.probe import HostFacts, probe, targets
from gitops_toolkit.tools.ssh import Step, run_command, run_steps

FORMATS = ("text", "json")
KUBECONFIG_KIND = "kubeconfig"


def _limited(inventory: Inventory, limit: list[str]) -> list[Host]:
    names = {host.name for host in inventory.hosts}
    unknown = sorted(set(limit) - names)
    if unknown:
        raise ToolError(f"--limit {', '.join(unknown)}: not in the inventory (hosts: {', '.join(sorted(names))})")
    return [host for host in inventory.hosts if not limit or host.name in limit]


def _plan(
    root: Path,
    inventory: Inventory,
    chosen: list[Host],
    facts: dict[str, HostFacts],
    inputs: ClusterInputs | None,
    kubeconfig: Path,
) -> list[Change]:
    first = inventory.control_planes[0]
    changes = [change for host in chosen for change in node_changes(root, inventory, host, facts[host.name])]
    if inputs is not None:
        cp_facts = facts[first.name]
        changes += control_plane_changes(root, inventory, first, cp_facts, inputs)
        if "admin_conf" not in cp_facts.kubeadm or local_sha256(kubeconfig) != cp_facts.admin_conf_sha256:
            summary = f"copy /etc/kubernetes/admin.conf from {first.name} to {kubeconfig} (mode 0600)"
            changes.append(Change(first.name, CONTROL_PLANE_PHASE, KUBECONFIG_KIND, summary))
    for host in chosen:
        if host != first:
            change = join_change(host, facts[host.name], first)
            if change:
                changes.append(change)
    return changes


def _run_phase(
    changes: list[Change], phase: str, hosts: dict[str, Host], report: Report, quiet: bool, connect_timeout: float
) -> set[str]:
    """Apply one phase's changes, hosts in parallel; returns the hosts that failed."""
    indexes = [
        index for index, change in enumerate(changes) if change.phase == phase and change.kind != KUBECONFIG_KIND
    ]
    by_host: dict[str, list[int]] = {}
    for index in indexes:
        by_host.setdefault(changes[index].host, []).append(index)
    if not by_host:
        return set()
    steps = {
        name: [Step(changes[i].label, changes[i].commands) for i in positions] for name, positions in by_host.items()
    }

    def progress(host: str, label: str) -> None:
        if not quiet:
            print(f"{host}: done {label}", file=sys.stderr, flush=True)

    outcomes = run_steps(targets(hosts[name] for name in by_host), steps, connect_timeout, progress)
    failed = set()
    for name, positions in by_host.items():
        outcome = outcomes[name]
        for offset, index in enumerate(positions):
            if offset < outcome.completed:
                report.status[index] = DONE
            elif offset == outcome.completed and outcome.error:
                report.status[index] = FAILED
        if outcome.error:
            failed.add(name)
            report.errors.append(f"{name} ({hosts[name].address}): {outcome.error}")
    return failed


def _copy_kubeconfig(report: Report, index: int, first: Host, kubeconfig: Path, connect_timeout: float) -> bool:
    """admin.conf from the first control plane to the operator's machine (mode 0600); False when it failed."""
    outcome = run_command(targets([first]), "cat /etc/kubernetes/admin.conf", connect_timeout)[first.name]
    error = outcome.error or ""
    if outcome.output is not None:
        try:
            write_private(kubeconfig, outcome.output.rstrip("\n") + "\n")
        except OSError as problem:
            error = f"cannot write {kubeconfig}: {problem.strerror}"
    if error or outcome.output is None:
        report.status[index] = FAILED
        report.errors.append(f"{first.name} ({first.address}): kubeconfig: {error or 'no answer'}")
        return False
    report.status[index] = DONE
    return True


def _join_workers(
    report: Report, hosts: dict[str, Host], first: Host, failed: set[str], quiet: bool, connect_timeout: float
) -> None:
    """Workers join through a token created now on the first control plane, held in memory only."""
    changes = report.changes
    joining = [i for i, change in enumerate(changes) if change.phase == JOIN and change.host not in failed]
    if not joining:
        return
    created = run_command(targets([first]), CREATE_JOIN_TOKEN, connect_timeout)[first.name]
    join = parse_join_command(created.output or "")
    if join is None:
        reason = created.error or "unexpected answer"
        report.errors.append(f"{first.name} ({first.address}): cannot create a join token: {reason}")
        return
    for index in joining:
        changes[index] = replace(changes[index], commands=join_commands(hosts[changes[index].host], join))
    _run_phase(changes, JOIN, hosts, report, quiet, connect_timeout)


def _apply(
    report: Report, inventory: Inventory, chosen: list[Host], kubeconfig: Path, quiet: bool, connect_timeout: float
) -> None:
    """Nodes in parallel; then the first control plane and the cluster; then the workers' joins in parallel."""
    hosts = {host.name: host for host in inventory.hosts}
    first = inventory.control_planes[0]
    failed = _run_phase(report.changes, NODE, hosts, report, quiet, connect_timeout)
    if first in chosen and first.name not in failed:
        failed |= _run_phase(report.changes, CONTROL_PLANE_PHASE, hosts, report, quiet, connect_timeout)
        copies = [i for i, change in enumerate(report.changes) if change.kind == KUBECONFIG_KIND]
        if (
            copies
            and first.name not in failed
            and not _copy_kubeconfig(report, copies[0], first, kubeconfig, connect_timeout)
        ):
            failed.add(first.name)
    if first.name not in failed:
        _join_workers(report, hosts, first, failed, quiet, connect_timeout)


def bootstrap_command(
    root: Path,
    inventory_file: Path,
    plan_only: bool,
    limit: list[str],
    output_format: str = "text",
    kubeconfig: str = "",
    connect_timeout: float = 5.0,
) -> int:
    if output_format not in FORMATS:
        print(f"--format {output_format}: choose one of {', '.join(FORMATS)}", file=sys.stderr)
        return 2
    try:
        inventory = load_inventory(inventory_file, root, root_repository_url(root))
        chosen = _limited(inventory, limit)
        kubeconfig_file = kubeconfig_path(kubeconfig, root)
        first = inventory.control_planes[0]
        inputs = cluster_inputs(root, inventory) if first in chosen else None
    except ToolError as error:
        print(str(error), file=sys.stderr)
        return 2
    # The first control plane is reached also when only workers are chosen: it creates their join token.
    reached = chosen if first in chosen else [first, *chosen]
    watched = watched_files(root, inventory) + (watched_markers(inputs) if inputs else [])
    probes = probe(reached, connect_timeout, watched)
    findings = [
        finding
        for finding in preflight(probes, time.time())
        if finding.host in {host.name for host in chosen} or finding.rule == "HOST-UNREACHABLE"
    ]
    report = Report("plan" if plan_only else "apply", findings=findings)
    report.addresses = {host.name: host.address for host in inventory.hosts}
    if not findings:
        facts = {p.host.name: p.facts for p in probes if p.facts is not None}
        report.changes = _plan(root, inventory, chosen, facts, inputs, kubeconfig_file)
        if not plan_only and report.changes:
            _apply(report, inventory, chosen, kubeconfig_file, output_format != "text", connect_timeout)
        if inputs is not None:
            report.notes.append(f"kubeconfig: {kubeconfig_file} (KUBECONFIG={kubeconfig_file} kubectl get nodes)")
    (write_json if output_format == "json" else write_text)(report, sys.stdout)
    return report.exit_code()
