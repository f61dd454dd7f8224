"""kubeadm and the cluster, compared with what the probe found on the first control plane: `kubeadm init`, the
CNI, Argo CD, the repository credential, Grafana's admin login and the root Application; then each worker's
join. Each apply to the cluster leaves the sha256 of what it applied on the control plane (a marker under
/var/lib/gitops-bootstrap), so that a second run applies nothing and a run that stopped part-way resumes."""

from __future__ import annotations

import hashlib
import shlex
from dataclasses import dataclass, replace
from pathlib import Path

from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.hosts.bootstrap.argo_cd import (
    Manifest,
    argo_cd_chart,
    argo_cd_crds,
    repository_secret,
    root_application,
)
from gitops_toolkit.hosts.bootstrap.configs import KUBEADM_CONFIG, ManagedFile, calico_installation, kubeadm_config
from gitops_toolkit.hosts.bootstrap.node_steps import CONTROL_PLANE_PHASE, JOIN, Change, file_change
from gitops_toolkit.hosts.bootstrap.site_names import coredns_manifest
from gitops_toolkit.hosts.inventory import Host, Inventory
from gitops_toolkit.hosts.pins import CALICO_OPERATOR_MANIFEST, CRI_SOCKET, JOIN_TOKEN_TTL
from gitops_toolkit.hosts.probe import HostFacts
from gitops_toolkit.tools.ssh import Command, Secret, Upload

STATE_DIRECTORY = "/var/lib/gitops-bootstrap"
KUBECTL = "kubectl --kubeconfig /etc/kubernetes/admin.conf"
_RESET_LEFTOVERS = "kubeadm reset --force >/dev/null"  # what a kubeadm run that stopped half-way left behind


@dataclass(frozen=True)
class ClusterInputs:
    """What the control-plane steps apply, read from the repository and the inventory's files."""

    manifests: tuple[tuple[str, Manifest], ...]  # (marker name, manifest), in the order they are applied
    repository_url: str
    repository_token: str  # "" when the inventory names no token file; PENDING_TOKEN until the platform makes it
    repository_username: str = "argocd"  # GitLab reads any user name with a token; a deploy token has its own


# Argo CD's deploy token on the platform host, when the plan is made before the platform's GitLab created it.
PENDING_TOKEN = "(created by this run)"


def marker(name: str) -> str:
    return f"{STATE_DIRECTORY}/applied/{name}.sha256"


def watched_cluster_files(inputs: ClusterInputs) -> list[str]:
    """The markers of what was applied, and the recorded kubeadm configuration: what the plan compares."""
    names = [name for name, _ in inputs.manifests] + ["calico-operator", "repository-credential", "grafana-admin"]
    return [marker(name) for name in names] + [KUBEADM_CONFIG]


def cluster_inputs(root: Path, inventory: Inventory) -> ClusterInputs:
    token = ""
    if inventory.repository_token_file:
        try:
            token = inventory.repository_token_file.read_text(encoding="utf-8").strip()
        except OSError as error:
            message = f"{inventory.repository_token_file}: cannot read the repository token ({error.strerror})"
            raise ToolError(message) from None
        if not token:
            raise ToolError(f"{inventory.repository_token_file}: the repository token file is empty")
    calico = Manifest(
        f"Calico's Installation ({inventory.cni[0]} {inventory.cni[1]})", calico_installation(root, inventory)
    )
    coredns = coredns_manifest(root, inventory)
    return ClusterInputs(
        (
            ("calico-installation", calico),
            *((("coredns-names", coredns),) if coredns else ()),
            ("argo-cd-crds", argo_cd_crds(root)),
            ("argo-cd", argo_cd_chart(root, inventory.kubernetes_version)),
            ("root-application", root_application(root)),
        ),
        inventory.repository_url,
        token,
    )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _record(name: str, digest: str) -> tuple[str, ...]:
    return ("mkdir", "-p", f"{STATE_DIRECTORY}/applied", "&&", "printf", "%s", digest, ">", marker(name))


def _apply(host: str, name: str, manifest: Manifest, facts: HostFacts, wait_established: bool = False) -> Change | None:
    digest = _digest(manifest.text)
    if facts.files.get(marker(name), "").strip() == digest:
        return None
    path = f"{STATE_DIRECTORY}/manifests/{name}.yaml"
    commands: list[Command] = [
        Upload(path, manifest.text, "0600"),
        (
            KUBECTL,
            "apply",
            "--server-side",
            "--force-conflicts",
            "--field-manager=gitops-bootstrap",
            "-f",
            path,
            ">/dev/null",
        ),
    ]
    if wait_established:
        commands.append((KUBECTL, "wait", "--for=condition=Established", "--timeout=120s", "-f", path, ">/dev/null"))
    commands.append(_record(name, digest))
    verb = "re-apply (changed since the last run)" if marker(name) in facts.files else "apply"
    summary = f"{verb} {manifest.name} server-side: {manifest.objects()}"
    return Change(host, CONTROL_PLANE_PHASE, "cluster", summary, "", tuple(commands))


def control_plane_changes(
    root: Path, inventory: Inventory, host: Host, facts: HostFacts, inputs: ClusterInputs
) -> list[Change]:
    """Everything the apply would change on the first control plane and in the cluster, in order."""
    changes: list[Change] = []
    config = ManagedFile(KUBEADM_CONFIG, kubeadm_config(root, inventory, host), mode="0600")
    recorded = file_change(host.name, CONTROL_PLANE_PHASE, config, facts.files.get(KUBEADM_CONFIG))
    if recorded:
        changes.append(recorded)
    if "admin_conf" not in facts.kubeadm:
        commands: tuple[Command, ...] = (
            ("if", "[ -e /etc/kubernetes/manifests/kube-apiserver.yaml ];", "then", _RESET_LEFTOVERS + ";", "fi"),
            (
                "kubeadm",
                "init",
                "--config",
                KUBEADM_CONFIG,
                "--skip-token-print",
                "--skip-certificate-key-print",
                ">/dev/null",
            ),
        )
        summary = (
            f"kubeadm init: Kubernetes {inventory.kubernetes_version}, endpoint {inventory.control_plane_endpoint}, "
            f"pods {inventory.pod_subnet}, services {inventory.service_subnet} (phases preflight, certs, kubeconfig, "
            "kubelet-start, control-plane, etcd, upload-config, mark-control-plane, bootstrap-token, addon)"
        )
        changes.append(Change(host.name, CONTROL_PLANE_PHASE, "kubeadm", summary, "", commands))
    elif recorded:
        note = " (recorded only: kubeadm does not reconfigure a running cluster; see docs/troubleshooting.md)"
        changes[-1] = replace(recorded, summary=recorded.summary + note)
    operator_url = CALICO_OPERATOR_MANIFEST.format(version=inventory.cni[1])
    if facts.files.get(marker("calico-operator"), "").strip() != _digest(operator_url):
        path = f"{STATE_DIRECTORY}/manifests/calico-operator.yaml"
        commands = (
            ("mkdir", "-p", f"{STATE_DIRECTORY}/manifests"),
            ("curl", "-fsSL", "--retry", "3", "-o", path, shlex.quote(operator_url)),
            (KUBECTL, "apply", "--server-side", "--force-conflicts", "-f", path, ">/dev/null"),
            (
                KUBECTL,
                "wait",
                "--for=condition=Established",
                "--timeout=120s",
                "crd/installations.operator.tigera.io",
                ">/dev/null",
            ),
            _record("calico-operator", _digest(operator_url)),
        )
        changes.append(
            Change(
                host.name, CONTROL_PLANE_PHASE, "cluster", f"apply Calico's operator from {operator_url}", "", commands
            )
        )
    for name, manifest in inputs.manifests:
        if name == "root-application":
            changes += _credentials(host, facts, inputs)
        change = _apply(host.name, name, manifest, facts, wait_established=name.endswith("crds"))
        if change:
            changes.append(change)
    return changes


def _credentials(host: Host, facts: HostFacts, inputs: ClusterInputs) -> list[Change]:
    """The repository credential (from the token file, never shown) and Grafana's admin login (generated on the
    control plane, never leaving it), before the root Application makes Argo CD read the repository."""
    changes = []
    source = "the platform's deploy token argocd" if inputs.repository_username != "argocd" else "repository.tokenFile"
    summary = f"create Argo CD's credential for {inputs.repository_url} from {source} (Secret argocd/gitops-repository)"
    if inputs.repository_token == PENDING_TOKEN:
        summary = summary.replace("deploy token argocd", "deploy token argocd, created by this run")
        changes.append(Change(host.name, CONTROL_PLANE_PHASE, "cluster", summary))
    elif inputs.repository_token:
        commands = credential_commands(inputs)
        if facts.files.get(marker("repository-credential"), "").strip() != _credential_digest(inputs):
            changes.append(Change(host.name, CONTROL_PLANE_PHASE, "cluster", summary, "", commands))
    if facts.files.get(marker("grafana-admin"), "").strip() != "created":
        create = (
            f"{KUBECTL} get namespace monitoring >/dev/null 2>&1 || {KUBECTL} create namespace monitoring >/dev/null; "
            f"{KUBECTL} -n monitoring get secret grafana-admin >/dev/null 2>&1 || "
            f"{KUBECTL} -n monitoring create secret generic grafana-admin --from-literal=admin-user=admin "
            '--from-literal=admin-password="$(head -c 24 /dev/urandom | base64 | tr -d /+=)" >/dev/null'
        )
        commands = ((create,), _record("grafana-admin", "created"))
        summary = "create Grafana's admin login (Secret monitoring/grafana-admin, a random password made on the host)"
        changes.append(Change(host.name, CONTROL_PLANE_PHASE, "cluster", summary, "", commands))
    return changes


def _credential_digest(inputs: ClusterInputs) -> str:
    return _digest(repository_secret(inputs.repository_url, inputs.repository_token, inputs.repository_username))


def credential_commands(inputs: ClusterInputs) -> tuple[Command, ...]:
    """Argo CD's repository credential applied from a file only root reads, removed once applied: on a command
    line the token would show in `ps`."""
    secret = repository_secret(inputs.repository_url, inputs.repository_token, inputs.repository_username)
    path = f"{STATE_DIRECTORY}/manifests/repository-credential.yaml"
    return (
        Upload(path, secret, "0600"),
        (
            *(KUBECTL, "apply", "--server-side", "-f", path, ">/dev/null;", "applied=$?;"),
            *("rm", "-f", path + ";", "[ $applied -eq 0 ]", "&&"),
            *_record("repository-credential", _digest(secret)),
        ),
    )


@dataclass(frozen=True)
class JoinCommand:
    """What `kubeadm token create --print-join-command` printed, split so that the token stays a Secret."""

    endpoint: str
    token: str
    ca_cert_hash: str


def parse_join_command(output: str) -> JoinCommand | None:
    words = output.split()
    try:
        return JoinCommand(
            words[words.index("join") + 1],
            words[words.index("--token") + 1],
            words[words.index("--discovery-token-ca-cert-hash") + 1],
        )
    except (ValueError, IndexError):
        return None


CREATE_JOIN_TOKEN = f"kubeadm token create --ttl {JOIN_TOKEN_TTL} --print-join-command"


def join_change(host: Host, facts: HostFacts, control_plane: Host) -> Change | None:
    """`kubeadm join` for a worker that is not a node yet; its commands come once a token exists (join_commands)."""
    if facts.is_node:
        return None
    summary = (
        f"kubeadm join through {control_plane.name}, with a token valid {JOIN_TOKEN_TTL} created when applied "
        "(never written on this machine)"
    )
    return Change(host.name, JOIN, "kubeadm", summary)


def join_commands(host: Host, join: JoinCommand) -> tuple[Command, ...]:
    return (
        ("if", "[ -e /etc/kubernetes/pki/ca.crt ];", "then", _RESET_LEFTOVERS + ";", "fi"),
        (
            "kubeadm",
            "join",
            join.endpoint,
            "--token",
            Secret(join.token),
            "--discovery-token-ca-cert-hash",
            join.ca_cert_hash,
            "--cri-socket",
            CRI_SOCKET,
            "--node-name",
            host.name,
            ">/dev/null",
        ),
    )
