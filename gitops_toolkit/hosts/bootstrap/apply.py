"""The apply: the planned changes made, phase by phase (nodes in parallel; then the first control plane and the
cluster, and the kubeconfig copied home; then the workers' joins in parallel), each change marked done, failed
or not run in the report. A host stops at its first failed change; the next run resumes there."""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path

from gitops_toolkit.hosts.bootstrap.cluster_steps import CREATE_JOIN_TOKEN, join_commands, parse_join_command
from gitops_toolkit.hosts.bootstrap.kubeconfig import write_private
from gitops_toolkit.hosts.bootstrap.node_steps import CONTROL_PLANE_PHASE, JOIN, NODE
from gitops_toolkit.hosts.bootstrap.platform_apply import PlatformApply
from gitops_toolkit.hosts.bootstrap.report import DONE, FAILED, Report
from gitops_toolkit.hosts.inventory import Host, Inventory
from gitops_toolkit.hosts.probe import targets
from gitops_toolkit.tools.ssh import SshSession, Step

KUBECONFIG_KIND = "kubeconfig"


@dataclass
class Apply:
    report: Report
    inventory: Inventory
    session: SshSession
    kubeconfig: Path
    quiet: bool  # no progress lines on stderr (JSON output)
    connect_timeout: float
    root: Path = Path()  # the repository (pushed to the platform host's GitLab)

    @property
    def first(self) -> Host:
        return self.inventory.control_planes[0]

    @property
    def hosts(self) -> dict[str, Host]:
        return {host.name: host for host in self.inventory.hosts}

    def run(self, chosen: list[Host]) -> None:
        platform = self.inventory.platform_host
        if platform in chosen and platform is not None and not PlatformApply(self, platform).run():
            return  # the nodes trust the platform's CA and Argo CD reads its repository: nothing goes on without it
        failed = self._phase(NODE)
        if self.first in chosen and self.first.name not in failed:
            failed |= self._phase(CONTROL_PLANE_PHASE)
            copies = [i for i, change in enumerate(self.report.changes) if change.kind == KUBECONFIG_KIND]
            if copies and self.first.name not in failed and not self._copy_kubeconfig(copies[0]):
                failed.add(self.first.name)
        if self.first.name not in failed:
            self._join(failed)

    def _fail(self, host: Host, error: str) -> None:
        self.report.errors.append(f"{host.name} ({host.address}): {error}")

    def fail(self, host: Host, error: str) -> None:
        self._fail(host, error)

    def phase(self, phase: str) -> set[str]:
        return self._phase(phase)

    def _phase(self, phase: str) -> set[str]:
        """One phase's changes made over SSH, hosts in parallel; the hosts that failed."""
        changes = self.report.changes
        by_host: dict[str, list[int]] = {}
        for index, change in enumerate(changes):
            if change.phase == phase and change.commands:
                by_host.setdefault(change.host, []).append(index)
        if not by_host:
            return set()
        steps = {
            name: [Step(changes[i].label, changes[i].commands) for i in indexes] for name, indexes in by_host.items()
        }

        def progress(host: str, label: str) -> None:
            if not self.quiet:
                print(f"{host}: done {label}", file=sys.stderr, flush=True)

        chosen = targets(self.hosts[name] for name in by_host)
        outcomes = self.session.run_steps(chosen, steps, self.connect_timeout, progress)
        failed = set()
        for name, indexes in by_host.items():
            outcome = outcomes[name]
            for offset, index in enumerate(indexes):
                if offset < outcome.completed:
                    self.report.status[index] = DONE
                elif offset == outcome.completed and outcome.error:
                    self.report.status[index] = FAILED
            if outcome.error:
                failed.add(name)
                self._fail(self.hosts[name], outcome.error)
        return failed

    def _copy_kubeconfig(self, index: int) -> bool:
        """admin.conf from the first control plane to the operator's machine (mode 0600); False when it failed."""
        first = self.first
        outcome = self.session.run_command(targets([first]), "cat /etc/kubernetes/admin.conf", self.connect_timeout)
        answer = outcome[first.name]
        error = answer.error or ("" if answer.output is not None else "no answer")
        if answer.output is not None:
            try:
                write_private(self.kubeconfig, answer.output.rstrip("\n") + "\n")
            except OSError as problem:
                error = f"cannot write {self.kubeconfig}: {problem.strerror}"
        self.report.status[index] = FAILED if error else DONE
        if error:
            self._fail(first, f"kubeconfig: {error}")
        return not error

    def _join(self, failed: set[str]) -> None:
        """Workers join through a token created now on the first control plane, held in memory only."""
        changes = self.report.changes
        joining = [i for i, change in enumerate(changes) if change.phase == JOIN and change.host not in failed]
        if not joining:
            return
        created = self.session.run_command(targets([self.first]), CREATE_JOIN_TOKEN, self.connect_timeout)
        join = parse_join_command(created[self.first.name].output or "")
        if join is None:
            self._fail(
                self.first, f"cannot create a join token: {created[self.first.name].error or 'unexpected answer'}"
            )
            return
        for index in joining:
            changes[index] = replace(changes[index], commands=join_commands(self.hosts[changes[index].host], join))
        self._phase(JOIN)
