"""When the cluster's certificates expire, read over SSH: on each control plane, what `kubeadm certs check-expiration`
prints (every kubeadm certificate, the kubeconfigs' client certificates and the authorities); on every node, the
kubelet's client certificate (`openssl x509 -enddate`). kubeadm's certificates last a year; once the API server's
has expired the cluster stops answering."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.hosts.inventory import Host
from gitops_toolkit.hosts.probe import targets
from gitops_toolkit.tools.ssh import SshSession

KUBELET_CLIENT = "/var/lib/kubelet/pki/kubelet-client-current.pem"
KUBELET_NAME = "kubelet client (rotated by the kubelet)"
FAIL_DAYS = 30  # under this, a finding: time to renew
KUBEADM_MARK = "--- kubeadm"
_ROW = re.compile(r"^(\S+)\s+([A-Z][a-z]{2} \d{2}, \d{4} \d{2}:\d{2} UTC)\s+\S+(?:\s+(\S+))?\s+(yes|no)\s*$")
_OPENSSL_END = re.compile(r"^notAfter=(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})Z?$")


@dataclass(frozen=True)
class Expiry:
    host: str
    name: str  # kubeadm's name ("apiserver", "admin.conf", "ca"), or KUBELET_NAME
    expires: datetime
    authority: bool = False
    external: bool = False  # externally managed: kubeadm does not renew it

    def days_left(self, now: datetime) -> int:
        return (self.expires - now).days


def read_command(control_plane: bool) -> str:
    kubelet = f"openssl x509 -noout -enddate -dateopt iso_8601 -in {KUBELET_CLIENT} 2>/dev/null || echo 'no kubelet'"
    if not control_plane:
        return kubelet
    return f"{kubelet}; echo '{KUBEADM_MARK}'; kubeadm certs check-expiration 2>&1"


def parse(host: str, output: str) -> list[Expiry]:
    """The certificates in what read_command printed on `host`."""
    found = []
    authorities = False
    for line in output.splitlines():
        if line.startswith("CERTIFICATE AUTHORITY"):
            authorities = True
        if match := _OPENSSL_END.match(line.strip()):
            expires = datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
            found.append(Expiry(host, KUBELET_NAME, expires))
        elif match := _ROW.match(line):
            expires = datetime.strptime(match[2], "%b %d, %Y %H:%M UTC").replace(tzinfo=UTC)
            found.append(Expiry(host, match[1], expires, authorities, match[4] == "yes"))
    return found


def read_expiries(
    session: SshSession, hosts: Sequence[Host], control_planes: Sequence[Host], timeout: float
) -> list[Expiry]:
    """Every host's certificates; ToolError naming the host that could not tell."""
    found: list[Expiry] = []
    for control_plane in (True, False):
        group = [host for host in hosts if (host in control_planes) == control_plane]
        if not group:
            continue
        answers = session.run_command(targets(group), read_command(control_plane), timeout)
        for host in group:
            answer = answers[host.name]
            if answer.error or answer.output is None:
                raise ToolError(f"{host.name} ({host.address}): cannot read its certificates: {answer.error}")
            expiries = parse(host.name, answer.output)
            if control_plane and not any(e.name != KUBELET_NAME for e in expiries):
                said = answer.output.partition(KUBEADM_MARK)[2].strip().splitlines()
                raise ToolError(f"{host.name} ({host.address}): kubeadm lists no certificate: {' '.join(said)[:200]}")
            found += expiries
    return found
