"""`invoke certs`: when every certificate of the cluster expires, per host (exit 1 when one expires within 30 days);
with `--renew`, each control plane whose kubeadm certificates expire within `--within` days renews them
(`kubeadm certs renew all`), then its static pods restart one at a time so that they load them (the kubelet
stops a pod whose manifest leaves /etc/kubernetes/manifests and starts it when it comes back), and the admin
kubeconfig is copied home again. Control planes go one after another, so the API keeps answering on the others.
`--plan` says all of that and changes nothing; a second run finds nothing to renew. Exit 2 for wrong input."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.hosts.bootstrap.argo_cd import site_inventory
from gitops_toolkit.hosts.bootstrap.kubeconfig import kubeconfig_path, write_private
from gitops_toolkit.hosts.bootstrap.static_pods import MANIFESTS, STATIC_PODS, wait_for_container
from gitops_toolkit.hosts.certs.expiry import FAIL_DAYS, KUBELET_NAME, Expiry, read_expiries
from gitops_toolkit.hosts.inventory import Host, Inventory
from gitops_toolkit.hosts.probe import targets
from gitops_toolkit.tools.ssh import SshSession, Step

FORMATS = ("text", "json")
ASIDE = "/etc/kubernetes/manifests-restarting"


PENDING = f"{ASIDE}/pending"  # the static pods still to restart after a renewal, one name per line


def restart_command(component: str) -> str:
    """Its manifest moved aside until the kubelet stopped the container, then back until it runs again; then it is
    struck off the pending list. A manifest left aside by an interrupted run is put back first."""
    manifest, aside = f"{MANIFESTS}/{component}.yaml", f"{ASIDE}/{component}.yaml"
    return (
        f"set -e; if [ -f {aside} ] && [ ! -f {manifest} ]; then mv {aside} {manifest}; fi; "
        f"mkdir -p {ASIDE} && mv {manifest} {aside} && {wait_for_container(component, running=False)}; "
        f"mv {aside} {manifest} && {wait_for_container(component, running=True)}; "
        f"sed -i '/^{component}$/d' {PENDING}"
    )


def renew_command() -> str:
    """kubeadm renews, and the static pods to restart are written down first, so that a run that stops half-way
    is finished by the next one."""
    pods = " ".join(STATIC_PODS)
    return f"mkdir -p {ASIDE} && printf '%s\\n' {pods} > {PENDING} && kubeadm certs renew all >/dev/null"


@dataclass
class CertsReport:
    mode: str  # "check", "plan" or "renew"
    now: datetime
    expiries: list[Expiry] = field(default_factory=list)
    steps: list[tuple[str, str]] = field(default_factory=list)  # (host, what), in the order they run
    done: int = 0
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def expiring(self) -> list[Expiry]:
        return [e for e in self.expiries if e.days_left(self.now) < FAIL_DAYS]

    def exit_code(self) -> int:
        return 1 if self.errors or (self.mode == "check" and self.expiring()) else 0

    def summary(self) -> str:
        if self.errors:
            return f"{self.done} of {len(self.steps)} step(s) done; run again once fixed: it resumes"
        if self.mode == "check":
            soon = self.expiring()
            return (
                f"{len(soon)} certificate(s) expire within {FAIL_DAYS} days" if soon else "no certificate expires soon"
            )
        if not self.steps:
            return "nothing to renew: no kubeadm certificate expires within --within days, no restart is pending"
        if self.mode == "plan":
            return f"plan: {len(self.steps)} step(s); nothing was changed (--plan)"
        return f"renewed: {self.done} step(s) done"


def _renewable(expiries: list[Expiry], host: Host) -> list[Expiry]:
    return [e for e in expiries if e.host == host.name and not (e.authority or e.external or e.name == KUBELET_NAME)]


def renewal_steps(host: Host, expiries: list[Expiry], now: datetime, within: int, pending: list[str]) -> list[Step]:
    """Renewal and restarts when a certificate expires within `within` days; else the restarts a run that stopped
    left pending."""
    renewable = _renewable(expiries, host)
    steps = []
    if renewable and min(e.days_left(now) for e in renewable) < within:
        soonest = min(renewable, key=lambda e: e.expires)
        days = soonest.days_left(now)
        label = f"renew every kubeadm certificate (kubeadm certs renew all); {soonest.name} expires in {days} days"
        steps.append(Step(label, ((renew_command(),),)))
        pending = list(STATIC_PODS)
    return steps + [
        Step(f"restart {c} so that it loads its new certificate", ((restart_command(c),),))
        for c in STATIC_PODS
        if c in pending
    ]


def read_pending(session: SshSession, control_planes: Sequence[Host], timeout: float) -> dict[str, list[str]]:
    """{control plane: the static pods a renewal left to restart}."""
    answers = session.run_command(targets(control_planes), f"cat {PENDING} 2>/dev/null; echo read", timeout)
    return {host.name: (answers[host.name].output or "").split()[:-1] for host in control_planes}


def _write(report: CertsReport, output_format: str, stream: TextIO) -> None:
    if output_format == "json":
        document = {
            "mode": report.mode,
            "certificates": [
                {
                    "host": e.host,
                    "name": e.name,
                    "expires": e.expires.isoformat(),
                    "days_left": e.days_left(report.now),
                    "authority": e.authority,
                }
                for e in report.expiries
            ],
            "steps": [{"host": host, "step": what} for host, what in report.steps],
            "errors": report.errors,
            "notes": report.notes,
            "summary": report.summary(),
            "exit_code": report.exit_code(),
        }
        json.dump(document, stream, indent=2)
        stream.write("\n")
        return
    for host in dict.fromkeys(e.host for e in report.expiries):
        print(f"{host}:", file=stream)
        for e in (e for e in report.expiries if e.host == host):
            mark = "EXPIRES SOON" if e.days_left(report.now) < FAIL_DAYS else ""
            print(f"  {e.name:<40} {e.expires:%Y-%m-%d} ({e.days_left(report.now)} days) {mark}".rstrip(), file=stream)
    for host, what in report.steps:
        print(f"{host}: {'+' if report.mode == 'plan' else '-'} {what}", file=stream)
    for line in report.errors + report.notes:
        print(line, file=stream)
    print(report.summary(), file=stream)


def _renew(report: CertsReport, inventory: Inventory, session: SshSession, plan: dict[str, list[Step]],
           kubeconfig: Path, timeout: float) -> None:  # fmt: skip
    """Control planes one at a time; the admin kubeconfig copied home once the first one's is renewed."""
    for host in inventory.control_planes:
        steps = plan.get(host.name, [])
        if not steps:
            continue
        outcome = session.run_steps(targets([host]), {host.name: steps}, timeout)[host.name]
        report.done += outcome.completed
        if outcome.error:
            report.errors.append(f"{host.name} ({host.address}): {outcome.error}")
            return
        if host == inventory.control_planes[0]:
            answer = session.run_command(targets([host]), "cat /etc/kubernetes/admin.conf", timeout)[host.name]
            if answer.output is None:
                report.errors.append(f"{host.name} ({host.address}): cannot read admin.conf: {answer.error}")
                return
            write_private(kubeconfig, answer.output.rstrip("\n") + "\n")
            report.notes.append(f"kubeconfig refreshed: {kubeconfig}")


def certs_command(
    root: Path,
    inventory_file: Path,
    renew: bool = False,
    within_days: int = 90,
    plan_only: bool = False,
    output_format: str = "text",
    kubeconfig: str = "",
    connect_timeout: float = 5.0,
) -> int:
    try:
        if output_format not in FORMATS:
            raise ToolError(f"--format {output_format}: choose one of {', '.join(FORMATS)}")
        if plan_only and not renew:
            raise ToolError("--plan goes with --renew: the check alone changes nothing")
        inventory = site_inventory(inventory_file, root)
        kubeconfig_file = kubeconfig_path(kubeconfig, root)
    except ToolError as error:
        print(f"certs: {error}", file=sys.stderr)
        return 2
    mode = ("plan" if plan_only else "renew") if renew else "check"
    report = CertsReport(mode, datetime.now(UTC))
    with SshSession() as session:
        try:
            hosts = inventory.cluster_hosts
            report.expiries = read_expiries(session, hosts, inventory.control_planes, connect_timeout)
        except ToolError as error:
            report.errors.append(str(error))
        if renew and not report.errors:
            pending = read_pending(session, inventory.control_planes, connect_timeout)
            plan = {
                host.name: renewal_steps(host, report.expiries, report.now, within_days, pending[host.name])
                for host in inventory.control_planes
            }
            report.steps = [(name, step.label) for name, steps in plan.items() for step in steps]
            if not plan_only:
                _renew(report, inventory, session, plan, kubeconfig_file, connect_timeout)
                try:  # what the certificates say now
                    report.expiries = read_expiries(session, hosts, inventory.control_planes, connect_timeout)
                except ToolError as error:
                    report.errors.append(str(error))
    _write(report, output_format, sys.stdout)
    return report.exit_code()
