"""What the backup and the restore run on the first control plane. etcd runs in a static pod: its snapshot is taken
inside that container (`crictl exec`, with its own etcdctl and the health-check client certificate), and restored
with its image's etcdutl through containerd (`ctr run`), since the container is stopped then. /var/lib/etcd is the
same path on the host and in the container (kubeadm mounts it)."""

from __future__ import annotations

from gitops_toolkit.hosts.bootstrap.cluster_steps import KUBECTL
from gitops_toolkit.hosts.bootstrap.static_pods import MANIFESTS, WAIT_SECONDS, wait_for_container

SNAPSHOT = "/var/lib/etcd/gitops-backup.db"
STAGE = "/var/lib/gitops-restore"  # the restore's uploads and its record of finished steps, root only
ASIDE = "/etc/kubernetes/manifests-restoring"
_ETCD_CLIENT = (
    "--endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt "
    "--cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt --key=/etc/kubernetes/pki/etcd/healthcheck-client.key"
)
# What goes into the archive besides the snapshot, as (member name, command printing it).
SEALING_KEYS = "-n kube-system get secret -l sealedsecrets.bitnami.com/sealed-secrets-key -o yaml"
REPOSITORIES = "-n argocd get secret -l argocd.argoproj.io/secret-type=repository -o yaml"
CLUSTER_OBJECTS = (
    ("cluster/sealed-secrets-keys.yaml", f"{KUBECTL} {SEALING_KEYS}"),
    ("cluster/argocd-repositories.yaml", f"{KUBECTL} {REPOSITORIES}"),
)
SNAPSHOT_MEMBER, PKI_MEMBER = "etcd/snapshot.db", "kubernetes/pki.tar"


def staged(member: str) -> str:
    """Where the restore uploads an archive member on the host."""
    return f"{STAGE}/{member.split('/', 1)[1]}"


def take_snapshot() -> str:
    """A snapshot of the running etcd, then its status as etcdutl prints it (JSON): the check that it is whole."""
    return (
        "set -e; umask 077; "
        "id=$(crictl ps -q --state running --name '^etcd$'); "
        '[ -n "$id" ] || { echo "etcd is not running on this host" >&2; exit 1; }; '
        f'rm -f {SNAPSHOT}; crictl exec "$id" etcdctl {_ETCD_CLIENT} snapshot save {SNAPSHOT} >/dev/null; '
        f'crictl exec "$id" etcdutl snapshot status {SNAPSHOT} -w json'
    )


def read_state() -> str:
    """Each member base64-encoded on its own line after `== NAME`; the snapshot removed from the host once read."""
    parts = [
        f"echo '== {SNAPSHOT_MEMBER}'; base64 -w0 < {SNAPSHOT}; echo; rm -f {SNAPSHOT}",
        f"echo '== {PKI_MEMBER}'; tar -C /etc/kubernetes -cf - pki | base64 -w0; echo",
        *(f"echo '== {name}'; {command} | base64 -w0; echo" for name, command in CLUSTER_OBJECTS),
    ]
    return "set -e; " + "; ".join(parts)


def split_members(output: str) -> dict[str, str]:
    """{member: its base64 text} from what read_state printed."""
    members, name = {}, ""
    for line in output.splitlines():
        if line.startswith("== "):
            name = line[3:].strip()
        elif name:
            members[name] = line.strip()
            name = ""
    return members


def once(number: int, command: str) -> str:
    """A restore step run once: a run that stopped after it skips it (its record is under STAGE/done)."""
    return f"mkdir -p {STAGE}/done; [ -f {STAGE}/done/{number} ] || ( set -e; {command}; touch {STAGE}/done/{number} )"


def restore_steps() -> list[tuple[str, str]]:
    """(what, command) of the kubeadm etcd restore procedure, after the uploads."""
    flags = f"grep -oE -- '--(name|initial-cluster|initial-advertise-peer-urls)=[^ ]+' {ASIDE}/etcd.yaml | tr '\\n' ' '"
    image = f"sed -n 's/^ *image: *//p' {ASIDE}/etcd.yaml | head -n 1"
    applied = " ".join(
        f"if grep -q '^- ' {staged(name)}; then {KUBECTL} apply --server-side --force-conflicts "
        f"-f {staged(name)} >/dev/null; fi;"
        for name, _ in CLUSTER_OBJECTS
    )
    return [
        ("decode the uploaded snapshot and PKI", f"base64 -d {STAGE}/snapshot.b64 > {STAGE}/snapshot.db; "
         f"base64 -d {STAGE}/pki.b64 > {STAGE}/pki.tar; rm -f {STAGE}/snapshot.b64 {STAGE}/pki.b64"),
        ("stop the control plane (its static pod manifests aside) and wait until etcd and kube-apiserver are gone",
         f"mkdir -p {ASIDE}; for m in {MANIFESTS}/*.yaml; do if [ -e \"$m\" ]; then mv \"$m\" {ASIDE}/; fi; done; "
         f"{wait_for_container('etcd', False)}; {wait_for_container('kube-apiserver', False)}"),
        ("move etcd's data aside to /var/lib/etcd.before-restore-<time> (kept, never deleted)",
         "[ ! -e /var/lib/etcd ] || mv /var/lib/etcd /var/lib/etcd.before-restore-$(date +%s)"),
        ("restore the snapshot into /var/lib/etcd with the etcd image's etcdutl (through containerd)",
         f'ctr -n k8s.io run --rm --mount type=bind,src=/var/lib,dst=/var/lib,options=rbind:rw "$({image})" '
         f"gitops-restore etcdutl snapshot restore {STAGE}/snapshot.db --data-dir /var/lib/etcd $({flags}) >/dev/null"),
        ("put the cluster PKI back (/etc/kubernetes/pki)", f"tar -C /etc/kubernetes -xf {STAGE}/pki.tar"),
        ("start the control plane again and wait until the API server is ready",
         f"mv {ASIDE}/*.yaml {MANIFESTS}/; {wait_for_container('kube-apiserver', True)}; "
         f"i=0; until [ \"$({KUBECTL} get --raw /readyz 2>/dev/null)\" = ok ]; do [ $i -ge {WAIT_SECONDS} ] && "
         f"{{ echo 'the API server is not ready' >&2; exit 1; }}; sleep 1; i=$((i+1)); done"),
        ("put back the sealing keys and Argo CD's repository credentials; restart the sealed-secrets controller",
         f"{applied} {KUBECTL} -n kube-system delete pod -l app.kubernetes.io/name=sealed-secrets >/dev/null"),
        ("remove the staged files", f"rm -rf {STAGE}"),
    ]  # fmt: skip
