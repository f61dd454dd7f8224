"""`invoke backup` and `invoke restore`, on the inventory's first control plane over SSH.

backup: an etcd snapshot checked with `etcdutl snapshot status` (its size must be what arrived), the cluster PKI,
the Sealed Secrets controller's keys and Argo CD's repository credentials, read into memory and written as one
archive encrypted to an age recipient (hosts/backup/archive.py). Exit 0 written, 1 a step failed, 2 wrong input.

restore: the archive opened with the age identity and checked; refused while the cluster answers healthy unless
--force; then kubeadm's etcd restore procedure (hosts/backup/on_host.py), each step recorded on the host so that a
run that stopped resumes after the last finished one. --plan names every step and changes nothing."""

from __future__ import annotations

import base64
import binascii
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.hosts.backup.archive import (
    SUFFIX,
    identity,
    open_archive,
    recipient,
    sealed_archive,
    write_archive,
)
from gitops_toolkit.hosts.backup.on_host import (
    PKI_MEMBER,
    SNAPSHOT_MEMBER,
    STAGE,
    once,
    read_state,
    restore_steps,
    split_members,
    staged,
    take_snapshot,
)
from gitops_toolkit.hosts.bootstrap.argo_cd import site_inventory
from gitops_toolkit.hosts.bootstrap.cluster_steps import KUBECTL
from gitops_toolkit.hosts.inventory import Host, Inventory
from gitops_toolkit.hosts.probe import targets
from gitops_toolkit.tools.ssh import Command, SshSession, Step, Upload


def _run(session: SshSession, host: Host, command: str, what: str, timeout: float) -> str:
    answer = session.run_command(targets([host]), command, timeout)[host.name]
    if answer.error or answer.output is None:
        raise ToolError(f"{host.name} ({host.address}): {what}: {answer.error or 'no answer'}")
    return answer.output


def _collect(session: SshSession, inventory: Inventory, timeout: float) -> tuple[dict[str, bytes], dict[str, object]]:
    host = inventory.control_planes[0]
    status = json.loads(_run(session, host, take_snapshot(), "etcd snapshot", timeout).strip().splitlines()[-1])
    encoded = split_members(_run(session, host, read_state(), "reading the cluster's state", timeout))
    try:
        members = {name: base64.b64decode(text, validate=True) for name, text in encoded.items()}
    except binascii.Error:
        raise ToolError(f"{host.name}: what it sent is not base64; nothing was written") from None
    snapshot = members.get(SNAPSHOT_MEMBER, b"")
    if not snapshot or status.get("totalSize") != len(snapshot):
        raise ToolError(
            f"{host.name}: the snapshot that arrived ({len(snapshot)} bytes) is not the one etcdutl checked "
            f"({status.get('totalSize')} bytes); nothing was written"
        )
    about = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": host.name,
        "controlPlaneEndpoint": inventory.control_plane_endpoint,
        "kubernetesVersion": inventory.kubernetes_version,
        "snapshot": status,
    }
    return members, about


def backup_command(
    root: Path, inventory_file: Path, output: Path, recipient_key: str, plan_only: bool = False, timeout: float = 30
) -> int:
    try:
        inventory = site_inventory(inventory_file, root)
        to = recipient(recipient_key)
        if output.resolve().is_relative_to(root.resolve()):
            raise ToolError(f"--output {output}: inside the repository; keep backups outside it")
    except ToolError as error:
        print(f"backup: {error}", file=sys.stderr)
        return 2
    host = inventory.control_planes[0]
    if plan_only:
        print(f"{host.name}: + take an etcd snapshot in the etcd container and check it with etcdutl")
        print(f"{host.name}: + read it, /etc/kubernetes/pki, the sealing keys and Argo CD's repository credentials")
        print(f"encrypt them to {recipient_key[:12]}... into {output}/<time>{SUFFIX}; nothing was changed (--plan)")
        return 0
    try:
        with SshSession() as session:
            members, about = _collect(session, inventory, timeout)
        name = f"backup-{host.name}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}{SUFFIX}"
        path = write_archive(output, name, sealed_archive(members, about, to))
    except (ToolError, OSError) as error:
        print(f"backup: {error}", file=sys.stderr)
        return 1
    snapshot = about["snapshot"]
    assert isinstance(snapshot, dict)
    print(
        f"wrote {path} (mode 0600; its sha256 in {path.name}.sha256): etcd at revision {snapshot.get('revision')} "
        f"({snapshot.get('totalKey')} keys), the PKI, the sealing keys, Argo CD's repository credentials"
    )
    return 0


def _restore_plan(opened_members: dict[str, bytes]) -> list[Step]:
    uploads: list[Command] = [
        ("install", "-d", "-m", "0700", STAGE),
        Upload(f"{STAGE}/snapshot.b64", base64.b64encode(opened_members[SNAPSHOT_MEMBER]).decode(), "0600"),
        Upload(f"{STAGE}/pki.b64", base64.b64encode(opened_members[PKI_MEMBER]).decode(), "0600"),
        *(
            Upload(staged(name), data.decode(), "0600")
            for name, data in opened_members.items()
            if name.startswith("cluster/")
        ),
    ]
    steps = [
        Step("upload the archive's snapshot, PKI and objects (root only, /var/lib/gitops-restore)", tuple(uploads))
    ]
    procedure = restore_steps()
    for number, (what, command) in enumerate(procedure[:-1], start=1):
        steps.append(Step(what, ((once(number, command),),)))
    what, command = procedure[-1]
    return [*steps, Step(what, ((command,),))]


def restore_command(
    root: Path,
    inventory_file: Path,
    archive: Path,
    identity_file: Path,
    plan_only: bool = False,
    force: bool = False,
    timeout: float = 30,
) -> int:
    try:
        inventory = site_inventory(inventory_file, root)
        opened = open_archive(archive, identity(identity_file))
    except ToolError as error:
        print(f"restore: {error}", file=sys.stderr)
        return 2
    host = inventory.control_planes[0]
    steps = _restore_plan(opened.members)
    revision = opened.manifest.get("snapshot", {}).get("revision")
    print(f"restore {archive.name}: etcd at revision {revision}, taken {opened.manifest.get('created')} on {host.name}")
    with SshSession() as session:
        try:
            ready = _run(session, host, f"{KUBECTL} get --raw /readyz 2>/dev/null || true", "health", timeout)
        except ToolError as error:
            ready = str(error)
        if ready.strip() == "ok" and not force and not plan_only:
            print("restore: refused: the cluster answers healthy; pass --force to restore it anyway", file=sys.stderr)
            return 1
        for step in steps:
            print(f"{host.name}: {'+' if plan_only else '-'} {step.label}")
        if plan_only:
            print("nothing was changed (--plan)")
            return 0
        outcome = session.run_steps(targets([host]), {host.name: steps}, timeout)[host.name]
    if outcome.error:
        print(f"restore: {host.name} ({host.address}): {outcome.error}; run it again: it resumes", file=sys.stderr)
        return 1
    print(f"restored: {outcome.completed} step(s); the etcd data it replaced is kept in /var/lib/etcd.before-restore-*")
    return 0
