"""`invoke bootstrap`: read the inventory (every defect before any connection), probe the hosts over SSH,
preflight, plan every change, and (unless --plan) apply it: nodes in parallel, then kubeadm init and the hand-over
to Argo CD on the first control plane, then the workers' joins in parallel. Exit 0 when the apply could proceed
(or did), 1 when a finding or a failed step stops it, 2 when the tool could not run."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.hosts.bootstrap.apply import KUBECONFIG_KIND, Apply
from gitops_toolkit.hosts.bootstrap.argo_cd import site_inventory
from gitops_toolkit.hosts.bootstrap.cluster_steps import (
    ClusterInputs,
    cluster_inputs,
    control_plane_changes,
    join_change,
    watched_cluster_files,
)
from gitops_toolkit.hosts.bootstrap.kubeconfig import kubeconfig_path, local_sha256
from gitops_toolkit.hosts.bootstrap.node_steps import CONTROL_PLANE_PHASE, NODE, Change, node_changes, watched_files
from gitops_toolkit.hosts.bootstrap.platform_plan import plan_platform, with_platform_credentials
from gitops_toolkit.hosts.bootstrap.platform_steps import watched_platform_files
from gitops_toolkit.hosts.bootstrap.report import Report, write_json, write_text
from gitops_toolkit.hosts.bootstrap.site_names import HOSTS_FILE, names_change
from gitops_toolkit.hosts.inventory import Host, Inventory
from gitops_toolkit.hosts.preflight import CONNECTION_RULES, preflight
from gitops_toolkit.hosts.probe import HostFacts, probe
from gitops_toolkit.tools.ssh import SshSession

FORMATS = ("text", "json")


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
    session: SshSession,
    connect_timeout: float,
) -> list[Change]:
    first = inventory.control_planes[0]
    platform = inventory.platform_host
    changes = []
    if platform is not None and platform in chosen:
        changes += plan_platform(root, inventory, platform, facts[platform.name], session, connect_timeout)
    nodes = [host for host in chosen if host in inventory.cluster_hosts]
    for host in nodes:
        names = names_change(inventory, host, NODE, facts[host.name])
        changes += [names] if names else []
        changes += node_changes(root, inventory, host, facts[host.name])
    if inputs is not None:
        cp_facts = facts[first.name]
        changes += control_plane_changes(root, inventory, first, cp_facts, inputs)
        if "admin_conf" not in cp_facts.kubeadm or local_sha256(kubeconfig) != cp_facts.admin_conf_sha256:
            summary = f"copy /etc/kubernetes/admin.conf from {first.name} to {kubeconfig} (mode 0600)"
            changes.append(Change(first.name, CONTROL_PLANE_PHASE, KUBECONFIG_KIND, summary))
    for host in nodes:
        if host != first:
            change = join_change(host, facts[host.name], first)
            if change:
                changes.append(change)
    return changes


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
        inventory = site_inventory(inventory_file, root)
        chosen = _limited(inventory, limit)
        kubeconfig_file = kubeconfig_path(kubeconfig, root)
    except ToolError as error:
        print(str(error), file=sys.stderr)
        return 2
    with SshSession() as session:  # the SSH worker starts while Argo CD's chart renders
        try:
            first = inventory.control_planes[0]
            inputs = cluster_inputs(root, inventory) if first in chosen else None
        except ToolError as error:
            print(str(error), file=sys.stderr)
            return 2
        report = _run(
            root, inventory, chosen, inputs, kubeconfig_file, plan_only, output_format, session, connect_timeout
        )
    (write_json if output_format == "json" else write_text)(report, sys.stdout)
    return report.exit_code()


def _run(
    root: Path,
    inventory: Inventory,
    chosen: list[Host],
    inputs: ClusterInputs | None,
    kubeconfig: Path,
    plan_only: bool,
    output_format: str,
    session: SshSession,
    connect_timeout: float,
) -> Report:
    """Probe, preflight, plan and (unless plan_only) apply; the report of it all."""
    first = inventory.control_planes[0]
    # The first control plane is reached also when only workers are chosen: it creates their join token.
    reached = chosen if first in chosen else [first, *chosen]
    watched = watched_files(root, inventory) + (watched_cluster_files(inputs) if inputs else [])
    watched += [HOSTS_FILE, *watched_platform_files(root, inventory)]
    probes = probe(reached, connect_timeout, watched, session)
    registry_port = inventory.platform.registry_port if inventory.platform else 0
    findings = [
        finding
        for finding in preflight(probes, time.time(), registry_port)
        if finding.host in {host.name for host in chosen} or finding.rule in CONNECTION_RULES
    ]
    report = Report("plan" if plan_only else "apply", findings=findings)
    report.addresses = {host.name: host.address for host in inventory.hosts}
    if findings:
        return report
    facts = {p.host.name: p.facts for p in probes if p.facts is not None}
    try:
        if inputs is not None and inventory.platform_host is not None:
            inputs = with_platform_credentials(root, inventory, inputs, session, connect_timeout)
        report.changes = _plan(root, inventory, chosen, facts, inputs, kubeconfig, session, connect_timeout)
    except ToolError as error:
        report.errors.append(str(error))
        return report
    if not plan_only and report.changes:
        Apply(report, inventory, session, kubeconfig, output_format != "text", connect_timeout, root).run(chosen)
    if inputs is not None:
        report.notes.append(f"kubeconfig: {kubeconfig} (KUBECONFIG={kubeconfig} kubectl get nodes)")
    return report
