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
from gitops_toolkit.hosts.bootstrap.argo_cd import Manifest, argo_cd_chart, argo_cd_crds, root_application
from gitops_toolkit.hosts.bootstrap.configs import KUBEADM_CONFIG, ManagedFile, calico_installation, kubeadm_config
from gitops_toolkit.hosts.bootstrap.credentials import Credential, platform_credentials, repository_credential
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
    # Applied before the root Application: none for a public repository read without a token.
    credentials: tuple[Credential, ...] = ()


def marker(name: str) -> str:
    return f"{STATE_DIRECTORY}/applied/{name}.sha256"


def watched_cluster_files(inputs: ClusterInputs) -> list[str]:
    """The markers of what was applied, and the recorded kubeadm configuration: what the plan compares."""
    names = [name for name, _ in inputs.manifests] + ["calico-operator", "grafana-admin"]
    names += [credential.marker for credential in inputs.credentials]
    return [marker(name) for name in names] + [KUBEADM_CONFIG]


def cluster_inputs(root: Path, inventory: Inventory) -> ClusterInputs:
    """What the cluster gets. With a platform host, its credentials are pending here: their tokens are read from it
    once it answers (with_platform_credentials)."""
    token = ""
    if inventory.repository_token_file:
        try:
            token = inventory.repository_token_file.read_text(encoding="utf-8").strip()
        except OSError as error:
            message = f"{inventory.repository_token_file}: cannot read the repository token ({error.strerror})"
            raise ToolError(message) from None
        if not token:
            raise ToolError(f"{inventory.repository_token_file}: the repository token file is empty")
    credentials: tuple[Credential, ...] = ()
    if inventory.platform is not None:
        credentials = platform_credentials(root, inventory)
    elif token:
        credentials = (repository_credential(inventory.repository_url, token, "repository.tokenFile"),)
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
        credentials,
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
    """The credentials (from the token file or the platform host, never shown) and Grafana's admin login (generated
    on the control plane, never leaving it), before the root Application makes Argo CD read the repository."""
    changes = []
    for credential in inputs.credentials:
        if credential.pending:
            summary = f"{credential.summary}, its token made by this run"
            changes.append(Change(host.name, CONTROL_PLANE_PHASE, "cluster", summary, action=credential.marker))
        elif facts.files.get(marker(credential.marker), "").strip() != _digest(credential.manifest()):
            commands = credential_commands(credential)
            changes.append(
                Change(host.name, CONTROL_PLANE_PHASE, "cluster", credential.summary, "", commands, credential.marker)
            )
    if facts.files.get(marker("grafana-admin"), "").strip() != "created":
        create = (
            f"{_namespace_exists('monitoring')}; "
            f"{KUBECTL} -n monitoring get secret grafana-admin >/dev/null 2>&1 || "
            f"{KUBECTL} -n monitoring create secret generic grafana-admin --from-literal=admin-user=admin "
            '--from-literal=admin-password="$(head -c 24 /dev/urandom | base64 | tr -d /+=)" >/dev/null'
        )
        commands = ((create,), _record("grafana-admin", "created"))
        summary = "create Grafana's admin login (Secret monitoring/grafana-admin, a random password made on the host)"
        changes.append(Change(host.name, CONTROL_PLANE_PHASE, "cluster", summary, "", commands))
    return changes


def _namespace_exists(namespace: str) -> str:
    return f"{KUBECTL} get namespace {namespace} >/dev/null 2>&1 || {KUBECTL} create namespace {namespace} >/dev/null"


def credential_commands(credential: Credential) -> tuple[Command, ...]:
    """A credential applied from a file only root reads, removed once applied: on a command line the token would
    show in `ps`. Its namespace is made first when Argo CD has not made it yet."""
    secret = credential.manifest()
    path = f"{STATE_DIRECTORY}/manifests/{credential.marker}.yaml"
    return (
        Upload(path, secret, "0600"),
        (
            _namespace_exists(credential.namespace) + ";",
            *(KUBECTL, "apply", "--server-side", "-f", path, ">/dev/null;", "applied=$?;"),
            *("rm", "-f", path + ";", "[ $applied -eq 0 ]", "&&"),
            *_record(credential.marker, _digest(secret)),
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
