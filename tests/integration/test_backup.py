"""`invoke backup` and `invoke restore` over real SSH against a cluster the bootstrap brought up on network-namespace
hosts, with stand-ins for etcd's tools (etcdctl, etcdutl, reached through crictl exec and ctr run as in the etcd
image), crictl and kubectl. What was backed up is what is restored, byte for byte; the archive opens only with
its age identity; a restore that stopped half-way resumes."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyrage
import pytest

from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.hosts.backup.archive import identity, open_archive
from gitops_toolkit.hosts.backup.command import backup_command, restore_command
from tests.conftest import REPOSITORY
from tests.integration.test_bootstrap import _subnet, bootstrap, calls, mutating, operator, state, write_inventory
from tests.netns_hosts import NetnsHost, available, netns_hosts, stand_in_files

pytestmark = pytest.mark.skipif(bool(available()), reason=available() or "")
__all__ = ["operator"]

SEALING_KEY = base64.b64encode(b"-----BEGIN PRIVATE KEY-----\n" + bytes(range(64)) + b"\n").decode()


@pytest.fixture
def cluster(tmp_path: Path, operator: Path, capsys: Any) -> Iterator[tuple[NetnsHost, Path]]:
    public_key = (operator / "id.pub").read_text(encoding="utf-8").strip()
    with netns_hosts(tmp_path / "hosts", ["cp1", "w1"], public_key, _subnet(170), stand_in_files()) as hosts:
        inventory = write_inventory(tmp_path, operator, hosts)
        code, _, printed = bootstrap(capsys, inventory, tmp_path / "kubeconfig")
        assert code == 0, printed
        # the Sealed Secrets controller's key, as the controller keeps it in kube-system
        (state(hosts[0], "objects") / "sealing-key.yaml").write_text(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sealed-secrets-key7x2k\n  namespace: kube-system\n"
            "  labels:\n    sealedsecrets.bitnami.com/sealed-secrets-key: active\ntype: kubernetes.io/tls\n"
            f"data:\n  tls.key: {SEALING_KEY}\n"
        )
        capsys.readouterr()
        yield hosts[0], inventory


def keys(tmp_path: Path) -> tuple[str, Path]:
    key = pyrage.x25519.Identity.generate()
    path = tmp_path / "backup.key"
    path.write_text(f"# created: for this test\n{key}\n")
    return str(key.to_public()), path


def digests(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_backup_then_restore_gives_back_what_was_backed_up(
    cluster: tuple[NetnsHost, Path], tmp_path: Path, capsys: Any
) -> None:
    cp1, inventory = cluster
    upper = cp1.directory / "upper"
    recipient, identity_file = keys(tmp_path)
    output = tmp_path / "backups"
    database = upper / "var/lib/etcd/member/snap/db"
    before = {"db": database.read_bytes(), "pki": digests(upper / "etc/kubernetes/pki")}

    assert backup_command(REPOSITORY, inventory, output, recipient) == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    [archive] = output.glob("*.tar.age")
    assert archive.stat().st_mode & 0o777 == 0o600 and "revision 1042" in printed
    assert (output / f"{archive.name}.sha256").read_text().split()[0] == hashlib.sha256(
        archive.read_bytes()
    ).hexdigest()
    sealed = archive.read_bytes()
    assert before["db"] not in sealed and SEALING_KEY.encode() not in sealed, "the archive holds something in clear"
    assert not (upper / "var/lib/etcd/gitops-backup.db").exists(), "the snapshot stayed on the host"
    opened = open_archive(archive, identity(identity_file))
    assert opened.members["etcd/snapshot.db"] == before["db"]
    assert SEALING_KEY in opened.members["cluster/sealed-secrets-keys.yaml"].decode()
    assert "gitops-repository" in opened.members["cluster/argocd-repositories.yaml"].decode()
    (tmp_path / "other").mkdir()
    _, stranger = keys(tmp_path / "other")
    with pytest.raises(ToolError, match="cannot decrypt"):
        open_archive(archive, identity(stranger))

    # What a disaster leaves: etcd's data gone bad, a key of the PKI changed, the sealing key deleted.
    database.write_bytes(b"damaged")
    (upper / "etc/kubernetes/pki/ca.key").write_text("not the cluster's CA key\n")
    (state(cp1, "objects") / "sealing-key.yaml").unlink()

    assert restore_command(REPOSITORY, inventory, archive, identity_file) == 1
    assert "refused: the cluster answers healthy" in capsys.readouterr().err
    since = len(calls(cp1))
    assert restore_command(REPOSITORY, inventory, archive, identity_file, plan_only=True) == 0
    plan = capsys.readouterr().out
    for step in ("stop the control plane", "move etcd's data aside", "restore the snapshot", "put the cluster PKI back",
                 "start the control plane again", "put back the sealing keys"):  # fmt: skip
        assert step in plan, step
    assert mutating(cp1, since) == [] and database.read_bytes() == b"damaged"

    state(cp1, "fail").write_text("ctr -n\n")  # etcdutl's container cannot start: the restore stops there
    assert restore_command(REPOSITORY, inventory, archive, identity_file, force=True) == 1
    assert "run it again: it resumes" in capsys.readouterr().err
    state(cp1, "fail").write_text("")
    assert restore_command(REPOSITORY, inventory, archive, identity_file, force=True) == 0, capsys.readouterr().err
    assert database.read_bytes() == before["db"]
    assert digests(upper / "etc/kubernetes/pki") == before["pki"]
    kept = list((upper / "var/lib").glob("etcd.before-restore-*/member/snap/db"))
    assert [path.read_bytes() for path in kept] == [b"damaged"]  # moved aside once, never deleted
    assert sorted(p.name for p in (upper / "etc/kubernetes/manifests").iterdir()) == [
        "etcd.yaml", "kube-apiserver.yaml", "kube-controller-manager.yaml", "kube-scheduler.yaml"
    ]  # fmt: skip
    assert any(SEALING_KEY in p.read_text() for p in state(cp1, "objects").iterdir()), "the sealing key is not back"
    assert not (upper / "var/lib/gitops-restore").exists()
    assert SEALING_KEY not in capsys.readouterr().out


def test_wrong_input_changes_nothing(cluster: tuple[NetnsHost, Path], tmp_path: Path, capsys: Any) -> None:
    _, inventory = cluster
    assert backup_command(REPOSITORY, inventory, tmp_path / "b", "age1notakey") == 2
    assert "not an age public key" in capsys.readouterr().err
    assert backup_command(REPOSITORY, inventory, REPOSITORY / "backups", keys(tmp_path)[0]) == 2
    assert "inside the repository" in capsys.readouterr().err and not (REPOSITORY / "backups").exists()
    (tmp_path / "fake.tar.age").write_bytes(b"not age")
    assert restore_command(REPOSITORY, inventory, tmp_path / "fake.tar.age", keys(tmp_path)[1]) == 2
    assert "cannot decrypt" in capsys.readouterr().err
