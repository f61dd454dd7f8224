"""`invoke upgrade --to X.Y.Z`: the cluster one minor version (or patch) up, over SSH. Refused, naming the steps, when
the target skips a minor or goes back. Before anything changes: the repository through the gate at the target's
Kubernetes version (SCHEMA-REMOVED-API and every other error block), the API server's record of deprecated APIs
still requested that the target removes, and an etcd snapshot checked with etcdutl. Then the first control plane,
the other control planes, and the workers in batches of --batch (hosts/upgrade/steps.py). Once every node runs the
target, the inventory's kubernetesVersion moves to it (the one place the version is pinned). Exit 0 done (or
nothing to do), 1 a finding or a failed step, 2 wrong input."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.core.versions import version_key
from gitops_toolkit.hosts.backup.on_host import take_snapshot
from gitops_toolkit.hosts.bootstrap.argo_cd import site_inventory
from gitops_toolkit.hosts.bootstrap.cluster_steps import KUBECTL
from gitops_toolkit.hosts.bootstrap.configs import minor
from gitops_toolkit.hosts.inventory import Host, Inventory
from gitops_toolkit.hosts.preflight import CONNECTION_RULES, preflight
from gitops_toolkit.hosts.probe import HostFacts, probe, targets
from gitops_toolkit.hosts.upgrade.checks import deprecated_in_use, gate_errors, move_inventory_version
from gitops_toolkit.hosts.upgrade.steps import (
    APISERVER_MANIFEST,
    KUBERNETES_LIST,
    UpgradeStep,
    cluster_version,
    node_steps,
)
from gitops_toolkit.tools.ssh import SshSession, Step

FORMATS = ("text", "json")
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def refusal(current: str, target: str) -> str:
    """Why kubeadm would refuse this move ("" when it would not): one minor at a time, never back."""
    if not _VERSION.match(target):
        return f"--to {target}: give an exact version, such as 1.37.2"
    if not _VERSION.match(current):
        return f"the inventory's kubernetesVersion {current} is not an exact version"
    (major, low, _), (to_major, to_minor, _) = version_key(current), version_key(target)
    if version_key(target) < version_key(current):
        return f"--to {target}: the cluster runs {current}; kubeadm does not downgrade"
    if to_major != major or to_minor > low + 1:
        steps = ", then ".join(f"{major}.{m}.x" for m in range(low + 1, to_minor + 1))
        return f"--to {target}: kubeadm upgrades one minor version at a time; go to {steps} (each its latest patch)"
    return ""


@dataclass
class UpgradeReport:
    mode: str  # "plan" or "upgrade"
    target: str
    findings: list[str] = field(default_factory=list)
    steps: list[tuple[str, UpgradeStep]] = field(default_factory=list)  # (phase, step)
    done: int = 0
    errors: list[str] = field(default_factory=list)

    def exit_code(self) -> int:
        return 1 if self.findings or self.errors else 0

    def summary(self) -> str:
        if self.findings:
            return f"{len(self.findings)} finding(s) block the upgrade; nothing was changed"
        if not self.steps:
            return f"nothing to do: every node runs {self.target}"
        if self.mode == "plan":
            return f"plan: {len(self.steps)} step(s) to {self.target}; nothing was changed (--plan)"
        if self.errors:
            return f"{self.done} of {len(self.steps)} step(s) done; run it again once fixed: it resumes"
        return f"upgraded to {self.target}: {self.done} step(s)"

    def write(self, output_format: str) -> None:
        if output_format == "json":
            steps = [{"phase": p, "node": s.node, "runs_on": s.runs_on, "step": s.label} for p, s in self.steps]
            document = {"mode": self.mode, "target": self.target, "findings": self.findings, "steps": steps,
                        "errors": self.errors, "summary": self.summary(), "exit_code": self.exit_code()}  # fmt: skip
            print(json.dumps(document, indent=2))
            return
        for line in self.findings:
            print(line)
        for phase, step in self.steps:
            print(f"{phase}: {step.node}: {'+' if self.mode == 'plan' else '-'} {step.label}")
        for line in self.errors:
            print(line)
        print(self.summary())


def _cordoned(session: SshSession, first: Host, timeout: float) -> set[str]:
    listing = f"{KUBECTL} get nodes -o jsonpath='{{range .items[*]}}{{.metadata.name}}={{.spec.unschedulable}} {{end}}'"
    answer = session.run_command(targets([first]), f"{listing}; echo", timeout)[first.name]
    return {word.split("=")[0] for word in (answer.output or "").split() if word.endswith("=true")}


def plan(
    root: Path, inventory: Inventory, facts: dict[str, HostFacts], target: str, batch: int, cordoned: set[str]
) -> list[tuple[str, UpgradeStep]]:
    """(phase, step): the etcd snapshot, each control plane on its own, then the workers in batches, the steps of
    a batch ordered by stage so that its nodes are drained, upgraded and uncordoned together."""
    first = inventory.control_planes[0]

    def steps_of(host: Host) -> list[UpgradeStep]:
        return node_steps(root, inventory, host, facts[host.name], target, first, host.name in cordoned)

    planned = [(f"control plane {host.name}", step) for host in inventory.control_planes for step in steps_of(host)]
    if cluster_version(facts[first.name]) != target:  # kubeadm upgrade apply is ahead: etcd's state saved first
        snapshot = UpgradeStep(first.name, first.name, "etcd snapshot, checked with etcdutl", ((take_snapshot(),),))
        planned.insert(0, ("before", snapshot))
    workers = [host for host in inventory.cluster_hosts if host not in inventory.control_planes]
    for number, start in enumerate(range(0, len(workers), batch), start=1):
        steps = [step for host in workers[start : start + batch] for step in steps_of(host)]
        planned += [(f"batch {number}", step) for step in sorted(steps, key=lambda step: step.stage)]
    return planned


def _apply(report: UpgradeReport, inventory: Inventory, session: SshSession, timeout: float) -> None:
    """Phase by phase and, within one, stage by stage: the hosts of a stage in parallel, each in its order."""
    hosts = {host.name: host for host in inventory.hosts}
    for phase in dict.fromkeys(p for p, _ in report.steps):
        for stage in sorted({step.stage for p, step in report.steps if p == phase}):
            per_host: dict[str, list[Step]] = {}
            for p, step in report.steps:
                if p == phase and step.stage == stage:
                    per_host.setdefault(step.runs_on, []).append(Step(f"{step.node}: {step.label}", step.commands))
            outcomes = session.run_steps(targets(hosts[name] for name in per_host), per_host, timeout)
            for name, outcome in outcomes.items():
                report.done += outcome.completed
                if outcome.error:
                    report.errors.append(f"{name} ({hosts[name].address}): {outcome.error}")
            if report.errors:
                return


def upgrade_command(
    root: Path,
    inventory_file: Path,
    target: str,
    plan_only: bool = False,
    batch: int = 1,
    output_format: str = "text",
    connect_timeout: float = 5.0,
) -> int:
    try:
        if output_format not in FORMATS:
            raise ToolError(f"--format {output_format}: choose one of {', '.join(FORMATS)}")
        inventory = site_inventory(inventory_file, root)
        if problem := refusal(inventory.kubernetes_version, target):
            raise ToolError(problem)
        errors = gate_errors(root, minor(target))
    except ToolError as error:
        print(f"upgrade: {error}", file=sys.stderr)
        return 2
    report = UpgradeReport("plan" if plan_only else "upgrade", target, findings=errors)
    first = inventory.control_planes[0]
    with SshSession() as session:
        probes = probe(list(inventory.cluster_hosts), connect_timeout, [APISERVER_MANIFEST, KUBERNETES_LIST], session)
        report.findings += [f.line() for f in preflight(probes, 0) if f.rule in CONNECTION_RULES]
        if not report.findings:
            report.findings += deprecated_in_use(session, first, minor(target), connect_timeout)
        if not report.findings:
            facts = {p.host.name: p.facts for p in probes if p.facts is not None}
            cordoned = _cordoned(session, first, connect_timeout)
            report.steps = plan(root, inventory, facts, target, max(batch, 1), cordoned)
            if not plan_only and report.steps:
                _apply(report, inventory, session, connect_timeout)
    if not plan_only and not report.findings and not report.errors and inventory.kubernetes_version != target:
        move_inventory_version(inventory_file, target)
    report.write(output_format)
    return report.exit_code()
