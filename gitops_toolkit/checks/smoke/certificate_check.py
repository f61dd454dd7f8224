"""With `--inventory`: CLUSTER-CERTIFICATES, every kubeadm certificate, authority and kubelet client certificate
read on the hosts over SSH as `invoke certs` reads them; one expiring within 30 days fails the check."""

from __future__ import annotations

from datetime import UTC, datetime

from gitops_toolkit.checks.smoke.result import CheckResult, timed
from gitops_toolkit.hosts.certs.expiry import FAIL_DAYS, read_expiries
from gitops_toolkit.hosts.inventory import Inventory
from gitops_toolkit.tools.ssh import SshSession


def certificate_check(inventory: Inventory, session: SshSession, timeout: float = 5.0) -> CheckResult:
    def judge() -> list[str]:
        now = datetime.now(UTC)
        expiries = read_expiries(session, inventory.cluster_hosts, inventory.control_planes, timeout)
        return [
            f"{e.host}: {e.name} expires {e.expires:%Y-%m-%d} ({e.days_left(now)} days)"
            for e in sorted(expiries, key=lambda e: e.expires)
            if e.days_left(now) < FAIL_DAYS
        ]

    return timed(
        "CLUSTER-CERTIFICATES",
        f"no certificate of the cluster expires within {FAIL_DAYS} days",
        "`invoke certs --inventory F --renew` (the kubelet's own certificate: check that it rotates, "
        "`journalctl -u kubelet`)",
        judge,
    )
