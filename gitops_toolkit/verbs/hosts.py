"""The verbs that work on the inventory's hosts over SSH: the bootstrap, the platform's credentials sealed, and
day two (upgrade, certificates, backup and restore, nodes removed or reset)."""

from __future__ import annotations

from pathlib import Path

from invoke.context import Context
from invoke.tasks import task

from gitops_toolkit.verbs.options import finish, number, repository, required, required_path


@task(
    iterable=["limit"],
    help={
        "inventory": "the inventory of your hosts (copy platform/inventory.example.yaml)",
        "plan": "print every change the apply would make, and change nothing anywhere",
        "limit": "work on this host only (repeatable), e.g. a new worker; the others are not touched",
        "format": "report format: text or json",
        "kubeconfig": "where the admin kubeconfig is written, mode 0600 (default ~/.kube/gitops-platform.conf)",
    },
)
def bootstrap(
    c: Context,
    inventory: str = "",
    plan: bool = False,
    limit: list[str] | None = None,
    format: str = "text",
    kubeconfig: str = "",
) -> None:
    """Bare hosts to a kubeadm cluster handed to Argo CD, over SSH (exit 0 ready/done, 1 blocked/failed, 2 error)."""
    inventory_file = required_path("bootstrap", "inventory", inventory)
    from gitops_toolkit.hosts.bootstrap.command import bootstrap_command

    finish(bootstrap_command(repository(c), inventory_file, plan, limit or [], format, kubeconfig))


@task(
    help={
        "inventory": "the inventory of your hosts",
        "renew": "renew the kubeadm certificates expiring within --within days, restart the control plane, "
        "refresh the kubeconfig",
        "within": "days: --renew renews what expires sooner than this (default 90)",
        "plan": "with --renew: say every step and change nothing",
        "format": "report format: text or json",
        "kubeconfig": "the admin kubeconfig refreshed by --renew (default ~/.kube/gitops-platform.conf)",
    },
)
def certs(
    c: Context,
    inventory: str = "",
    renew: bool = False,
    within: str = "90",
    plan: bool = False,
    format: str = "text",
    kubeconfig: str = "",
) -> None:
    """When each certificate of the cluster expires; --renew renews them (exit 0 fine, 1 expiring/failed, 2 error)."""
    inventory_file = required_path("certs", "inventory", inventory)
    days = int(number("certs", "within", within, int, 1))
    from gitops_toolkit.hosts.certs.command import certs_command

    finish(certs_command(repository(c), inventory_file, renew, days, plan, format, kubeconfig))


@task(
    help={
        "inventory": "the inventory of your hosts",
        "output": "the directory the encrypted archive goes to (outside the repository)",
        "recipient": "the age public key (age1...) the archive is encrypted to; keep its identity safe, elsewhere",
        "plan": "say what would be read and written, and change nothing",
    },
)
def backup(c: Context, inventory: str = "", output: str = "", recipient: str = "", plan: bool = False) -> None:
    """etcd, the PKI, the sealing keys and Argo CD's credentials, encrypted (exit 0 written, 1 failed, 2 error)."""
    verb = "backup"
    inventory_file, directory = required_path(verb, "inventory", inventory), required_path(verb, "output", output)
    from gitops_toolkit.hosts.backup.command import backup_command

    finish(backup_command(repository(c), inventory_file, directory, required(verb, "recipient", recipient), plan))


@task(
    help={
        "inventory": "the inventory of your hosts",
        "to": "the exact Kubernetes version to go to (one minor at most above the inventory's), e.g. 1.37.2",
        "plan": "name every step per host, in order, and change nothing",
        "batch": "workers drained and upgraded together (default 1)",
        "format": "report format: text or json",
    },
)
def upgrade(
    c: Context, inventory: str = "", to: str = "", plan: bool = False, batch: str = "1", format: str = "text"
) -> None:
    """The cluster one minor up: gate, snapshot, control plane, workers in batches (exit 0, 1 blocked, 2 error)."""
    verb = "upgrade"
    inventory_file = required_path(verb, "inventory", inventory)
    workers = int(number(verb, "batch", batch, int, 1))
    from gitops_toolkit.hosts.upgrade.command import upgrade_command

    finish(upgrade_command(repository(c), inventory_file, required(verb, "to", to), plan, workers, format))


@task(
    name="remove",
    positional=["name"],
    help={
        "inventory": "the inventory of your hosts",
        "name": "the node to take out of the cluster",
        "yes": "do it (without it: print the steps and change nothing)",
        "purge": "also remove the kubelet, kubeadm and kubectl packages from the host",
    },
)
def node_remove(c: Context, name: str = "", inventory: str = "", yes: bool = False, purge: bool = False) -> None:
    """Drain, delete the Node, kubeadm reset and clean the host (exit 0 done/planned, 1 failed, 2 error)."""
    verb = "node.remove"
    inventory_file = required_path(verb, "inventory", inventory)
    from gitops_toolkit.hosts.nodes.command import node_remove_command

    finish(node_remove_command(repository(c), inventory_file, required(verb, "name", name), yes, purge))


@task(
    iterable=["limit"],
    help={
        "inventory": "the inventory of your hosts",
        "limit": "the one host to reset (one that never joined properly)",
        "yes": "do it (without it: print the steps and change nothing)",
    },
)
def reset(c: Context, inventory: str = "", limit: list[str] | None = None, yes: bool = False) -> None:
    """kubeadm reset and the network state cleaned on one host (exit 0 done/planned, 1 failed, 2 error)."""
    from gitops_toolkit.hosts.nodes.command import reset_command

    finish(reset_command(repository(c), required_path("reset", "inventory", inventory), limit or [], yes))


@task(
    name="restore",
    help={
        "inventory": "the inventory of your hosts",
        "from": "the archive `invoke backup` wrote",
        "identity": "the age identity file (AGE-SECRET-KEY-1...) that opens it",
        "plan": "name every step and change nothing",
        "force": "restore even though the cluster answers healthy",
    },
)
def restore(
    c: Context, inventory: str = "", from_: str = "", identity: str = "", plan: bool = False, force: bool = False
) -> None:
    """kubeadm's etcd restore from an archive, PKI and keys put back (exit 0 done, 1 refused/failed, 2 error)."""
    verb = "restore"
    arguments = [required(verb, o, v) for o, v in (("inventory", inventory), ("from", from_), ("identity", identity))]
    from gitops_toolkit.hosts.backup.command import restore_command

    finish(restore_command(repository(c), Path(arguments[0]), Path(arguments[1]), Path(arguments[2]), plan, force))


@task(
    name="seal",
    help={
        "inventory": "the inventory bootstrap used, with its platform host",
        "cert": "the Sealed Secrets controller's certificate (kubeseal --fetch-cert > cert.pem)",
    },
)
def seal_platform(c: Context, inventory: str = "", cert: str = "") -> None:
    """Seal Argo CD's repository credential and the image pull Secrets into gitops-repo (safe to commit)."""
    inventory_file = required_path("platform.seal", "inventory", inventory)
    from gitops_toolkit.hosts.bootstrap.seal_command import seal_platform_command

    finish(seal_platform_command(repository(c), inventory_file, required_path("platform.seal", "cert", cert)))
