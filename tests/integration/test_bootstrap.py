"""`invoke bootstrap` over real SSH, against sshd hosts in network namespaces that each test starts and stops,
with stand-ins on their PATH for the package manager, systemd, the kernel's knobs, kubeadm and kubectl
(tests/stand_ins/README.md says what they emulate). Only the addresses of these hosts and loopback are dialled."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_toolkit.hosts.bootstrap.command import bootstrap_command
from gitops_toolkit.hosts.bootstrap.configs import KUBEADM_CONFIG
from tests.conftest import REPOSITORY
from tests.netns_hosts import NetnsHost, available, key_pair, netns_hosts, stand_in_files

pytestmark = pytest.mark.skipif(bool(available()), reason=available() or "")

REPOSITORY_TOKEN = "stand-in-repository-token-0123456789"
# A swap file that is off now but would come back at the next boot.
FSTAB = "UUID=0a1b / ext4 errors=remount-ro 0 1\n/swapfile none swap sw 0 0\n"


def _subnet(base: int) -> int:
    """One subnet per xdist worker and test, so that parallel tests never share a bridge or a namespace."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    return base + (int(worker) if worker.isdigit() else 0)


@pytest.fixture(scope="module")
def operator(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("operator")
    key_pair(directory / "id")
    (directory / "token").write_text(REPOSITORY_TOKEN + "\n", encoding="utf-8")
    return directory


@pytest.fixture
def hosts(request: pytest.FixtureRequest, tmp_path: Path, operator: Path) -> Iterator[list[NetnsHost]]:
    names, base, sudoer = request.param
    public_key = (operator / "id.pub").read_text(encoding="utf-8").strip()
    files = {**stand_in_files(), "/etc/fstab": FSTAB}
    with netns_hosts(tmp_path / "hosts", names, public_key, _subnet(base), files, sudoer) as started:
        yield started


def _this_machine() -> dict[str, object]:
    memory_kib = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal:")
    )
    return {"cpus": os.cpu_count() or 1, "memory": f"{memory_kib // 1024}Mi"}


MACHINE = _this_machine()


def write_inventory(
    directory: Path, operator: Path, hosts: list[NetnsHost], known: list[NetnsHost] | None = None, user: str = "root"
) -> Path:
    known_hosts = directory / "known_hosts"
    known_hosts.write_text("".join(f"{h.address} {h.host_public_key}\n" for h in known or hosts), encoding="utf-8")
    inventory = {
        "cluster": {
            "kubernetesVersion": "1.37.1",
            "controlPlaneEndpoint": f"{hosts[0].address}:6443",
            "podSubnet": "10.244.0.0/16",
            "serviceSubnet": "10.96.0.0/12",
        },
        "ssh": {"user": user, "identityFile": str(operator / "id"), "knownHostsFile": str(known_hosts)},
        "hosts": [
            {
                "name": h.name,
                "address": h.address,
                "roles": ["control-plane" if n == 0 else "worker"],
                **MACHINE,  # the hosts share this machine's CPUs and memory
            }
            for n, h in enumerate(hosts)
        ],
        "metallbRange": f"{hosts[0].address.rsplit('.', 1)[0]}.200-{hosts[0].address.rsplit('.', 1)[0]}.220",
        "repository": {
            "url": "https://gitlab.local/platform/gitops-repo.git",
            "tokenFile": str(operator / "token"),
        },
    }
    path = directory / "inventory.yaml"
    path.write_text(yaml.safe_dump(inventory, sort_keys=False), encoding="utf-8")
    return path


def bootstrap(
    capsys: pytest.CaptureFixture[str], inventory: Path, kubeconfig: Path, *arguments: str
) -> tuple[int, dict[str, Any], str]:
    """Run the bootstrap as the task does; its exit code, JSON report and everything it printed."""
    limit = [arguments[i + 1] for i, word in enumerate(arguments) if word == "--limit"]
    code = bootstrap_command(REPOSITORY, inventory, "--plan" in arguments, limit, "json", str(kubeconfig))
    captured = capsys.readouterr()
    assert captured.out, f"exit {code}: {captured.err}"
    return code, json.loads(captured.out), captured.out + captured.err


def calls(host: NetnsHost) -> list[str]:
    log = host.directory / "upper" / "var" / "log" / "stand-ins.log"
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


READERS = (
    "swapon",
    "dpkg-query",
    "lsmod",
    "sysctl -n",
    "modprobe -n",
    "systemctl is-",
    "kubeadm certs check-expiration",
    "kubectl --kubeconfig /etc/kubernetes/admin.conf get",
)


def mutating(host: NetnsHost, since: int = 0) -> list[str]:
    """The calls from the `since`-th on that change something (probes only read)."""
    return [call for call in calls(host)[since:] if not call.startswith(READERS)]


def state(host: NetnsHost, name: str) -> Path:
    return host.directory / "upper" / "var" / "lib" / "stand-ins" / name


def planned(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(c["host"], c["kind"], c["summary"]) for c in report["changes"]]


@pytest.mark.parametrize("hosts", [(["cp1", "w1", "w2", "w3"], 110, "")], indirect=True)
def test_plan_apply_again_and_add_a_worker(
    hosts: list[NetnsHost], operator: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cp1, w1, w2, w3 = hosts
    inventory = write_inventory(tmp_path, operator, [cp1, w1, w2], known=hosts)
    kubeconfig = tmp_path / "home" / ".kube" / "platform.conf"

    code, plan, printed = bootstrap(capsys, inventory, kubeconfig, "--plan")
    assert code == 0, printed
    assert {host for host, _, _ in planned(plan)} == {"cp1", "w1", "w2"}
    kinds = {(host, kind) for host, kind, _ in planned(plan)}
    assert ("cp1", "kubeadm") in kinds and ("w1", "kubeadm") in kinds and ("cp1", "kubeconfig") in kinds
    assert ("w2", "swap", "comment out the swap entries of /etc/fstab (/swapfile)") in planned(plan)
    containerd = next(c for c in plan["changes"] if c["host"] == "w1" and "/etc/containerd/config.toml" in c["summary"])
    assert "+SystemdCgroup = true" in containerd["diff"].replace("  ", "")
    assert all(c["status"] == "planned" for c in plan["changes"])
    assert [mutating(host) for host in hosts] == [[], [], [], []], "the plan changed something"
    assert not kubeconfig.exists()

    code, applied, printed = bootstrap(capsys, inventory, kubeconfig)
    assert code == 0, printed
    assert planned(applied) == planned(plan), "the apply did something else than the plan said"
    assert {c["status"] for c in applied["changes"]} == {"done"}
    assert (cp1.directory / "upper" / "etc" / "kubernetes" / "admin.conf").exists()
    assert (w2.directory / "upper" / "etc" / "fstab").read_text().splitlines()[1] == "# /swapfile none swap sw 0 0"
    for worker in (w1, w2):
        assert (worker.directory / "upper" / "etc" / "kubernetes" / "kubelet.conf").read_text() == "joined\n"
        assert state(worker, "packages/kubelet").read_text() == "hi 1.37.1-1.1"  # installed, held
    order = [call.split()[0:2] for call in mutating(cp1) if call.startswith("kubeadm")]
    assert order[0] == ["kubeadm", "init"] and ["kubeadm", "token"] in order
    applied_files = [call.split(" -f ")[1].split()[0] for call in calls(cp1) if " apply " in call]
    assert [Path(path).stem for path in applied_files] == [
        "calico-operator",
        "calico-installation",
        "argo-cd-crds",  # server-side, before the chart's AppProjects need them
        "argo-cd",
        "repository-credential",
        "root-application",
    ]
    manifests = cp1.directory / "upper" / "var" / "lib" / "gitops-bootstrap" / "manifests"
    chart = list(yaml.safe_load_all((manifests / "argo-cd.yaml").read_text()))
    assert chart[0] == {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "argocd"}}
    server = next(
        o for o in chart if o and o["kind"] == "Deployment" and o["metadata"]["name"] == "argo-cd-argocd-server"
    )
    assert server["metadata"]["namespace"] == "argocd"  # release argo-cd in argocd, as the Application renders it
    assert server["metadata"]["labels"]["app.kubernetes.io/instance"] == "argo-cd"
    assert not (manifests / "repository-credential.yaml").exists(), "the credential stayed on the host's disk"
    stored = [p.read_text() for p in state(cp1, "objects").iterdir()]
    credential = base64.b64encode(REPOSITORY_TOKEN.encode()).decode()
    assert any("secret-type: repository" in text and credential in text for text in stored)
    assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
    assert kubeconfig.read_text() == (cp1.directory / "upper" / "etc" / "kubernetes" / "admin.conf").read_text()
    tokens = state(cp1, "tokens").read_text().split()
    assert tokens and not any(token in printed for token in tokens), "a join token was shown"
    assert REPOSITORY_TOKEN not in printed
    leaked = [
        p
        for p in tmp_path.rglob("*")
        if p.is_file() and "hosts" not in p.parts and any(t.encode() in p.read_bytes() for t in tokens)
    ]
    assert leaked == [], "a join token was written on the operator's side"
    assert not mutating(w3), "a host outside the inventory was touched"

    before = {host.name: len(calls(host)) for host in hosts}
    code, again, printed = bootstrap(capsys, inventory, kubeconfig)
    assert (code, again["changes"]) == (0, []), printed
    assert "no changes" in again["summary"]
    assert all(not mutating(host, before[host.name]) for host in hosts)

    bigger = write_inventory(tmp_path, operator, hosts)
    before = {host.name: len(calls(host)) for host in hosts}
    code, added, printed = bootstrap(capsys, bigger, kubeconfig, "--limit", "w3")
    assert code == 0, printed
    assert {c["host"] for c in added["changes"]} == {"w3"}
    assert (w3.directory / "upper" / "etc" / "kubernetes" / "kubelet.conf").exists()
    assert mutating(cp1, before["cp1"]) == ["kubeadm token create --ttl 15m --print-join-command"]
    assert not mutating(w1, before["w1"]) and not mutating(w2, before["w2"])


# As a user with passwordless sudo (root login is often disabled): every command goes through `sudo -n`.
@pytest.mark.parametrize("hosts", [(["cp1", "w1"], 130, "ops")], indirect=True)
def test_blocked_hosts_then_a_failure_midway_and_a_resumed_run(
    hosts: list[NetnsHost], operator: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cp1, w1 = hosts
    kubeconfig = tmp_path / "kube.conf"
    inventory = write_inventory(tmp_path, operator, hosts, user="ops")

    state(w1, "swaps").write_text("/swapfile\n", encoding="utf-8")
    code, report, printed = bootstrap(capsys, inventory, kubeconfig, "--plan")
    assert code == 1, printed
    assert [(f["host"], f["rule"]) for f in report["findings"]] == [("w1", "HOST-SWAP")]
    assert report["changes"] == [] and not mutating(cp1) and not mutating(w1)
    state(w1, "swaps").write_text("", encoding="utf-8")

    other = tmp_path / "other"
    key_pair(other)
    impostor = " ".join(other.with_suffix(".pub").read_text(encoding="utf-8").split()[:2])
    (tmp_path / "changed").mkdir()
    changed = write_inventory(tmp_path / "changed", operator, hosts, user="ops")
    (tmp_path / "changed" / "known_hosts").write_text(f"{cp1.address} {cp1.host_public_key}\n{w1.address} {impostor}\n")
    code, report, printed = bootstrap(capsys, changed, kubeconfig)
    assert code == 1 and [(f["host"], f["rule"]) for f in report["findings"]] == [("w1", "HOST-KEY-CHANGED")]
    assert "the host was reinstalled" in report["findings"][0]["message"] and not mutating(w1)

    state(cp1, "fail").write_text("kubeadm init-late\n", encoding="utf-8")
    code, failed, printed = bootstrap(capsys, inventory, kubeconfig)
    assert code == 1, printed
    assert failed["errors"] and failed["errors"][0].startswith(f"cp1 ({cp1.address}): kubeadm: kubeadm init")
    assert "timed out" in failed["errors"][0]
    statuses = {(c["host"], c["kind"]): c["status"] for c in failed["changes"]}
    assert statuses[("cp1", "kubeadm")] == "failed" and statuses[("w1", "kubeadm")] == "not run"
    assert all(c["status"] == "done" for c in failed["changes"] if c["phase"] == "node")
    assert not kubeconfig.exists()

    state(cp1, "fail").write_text("", encoding="utf-8")
    before = len(calls(cp1))
    code, resumed, printed = bootstrap(capsys, inventory, kubeconfig)
    assert code == 0, printed
    assert [c["summary"] for c in resumed["changes"] if c["phase"] == "node"] == [], "finished node steps ran again"
    redone = [call for call in calls(cp1)[before:] if call.startswith("kubeadm")]
    assert redone[:2] == [
        "kubeadm reset --force",
        f"kubeadm init --config {KUBEADM_CONFIG} --skip-token-print --skip-certificate-key-print",
    ]
    code, again, printed = bootstrap(capsys, inventory, kubeconfig)
    assert (code, again["changes"]) == (0, []), printed


def test_unreachable_hosts_are_one_line_each_within_seconds(tmp_path: Path) -> None:
    """The example inventory, its addresses changed to loopback ones where nothing listens, run as a user would."""
    example = (REPOSITORY / "platform" / "inventory.example.yaml").read_text(encoding="utf-8")
    key = tmp_path / "id"
    key_pair(key)
    (tmp_path / "known_hosts").write_text("", encoding="utf-8")
    text = example.replace("192.168.10.1", "127.0.0.1").replace("~/.ssh/id_ed25519", str(key))
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(text.replace("platform/known_hosts", str(tmp_path / "known_hosts")), encoding="utf-8")
    started = time.monotonic()
    result = subprocess.run(
        [str(Path(sys.executable).parent / "invoke"), "bootstrap", "--inventory", str(inventory), "--plan"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert time.monotonic() - started < 20
    assert result.returncode in (1, 2), result
    lines = [line for line in result.stdout.splitlines() if "HOST-UNREACHABLE" in line]
    assert [line.split(":")[0] for line in lines] == [
        "cp1 (127.0.0.11)",
        "w1 (127.0.0.12)",
        "w2 (127.0.0.13)",
        "gitlab (127.0.0.10)",  # the platform host
    ]
    assert all(line.endswith("connection refused on port 22: is sshd running, and on that port?") for line in lines)
    assert "Traceback" not in result.stdout + result.stderr and "[Errno" not in result.stdout
