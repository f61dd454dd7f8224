"""`invoke smoke` against a stand-in for the cluster (tests/stand_in_cluster.py) and the stand-in shop on
127.0.0.1 (tests/stand_in_shop.py): a healthy platform passes every check; trouble fails the checks that own
it, with the fix and a redacted diagnostics bundle; an unreachable cluster exits 2 with one line, through the
real kubectl as well."""

from __future__ import annotations

import json
import socket
import tarfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

from gitops_toolkit.checks.smoke.command import smoke_command
from tests.conftest import REPOSITORY
from tests.conftest import invoke as run_task
from tests.stand_in_cluster import LEAKED_PASSWORD, LEAKED_WEBHOOK, SHOP, StandInCluster
from tests.stand_in_shop import stand_in_shop

CHECKS = {
    "CLUSTER-NODES-READY",
    "ARGOCD-APPLICATIONS-SYNCED",
    "WORKLOADS-AVAILABLE",
    "ROLLOUTS-HEALTHY",
    "PODS-HEALTHY",
    "ETCD-BACKUP-RECENT",
    "ENTRY-GATEWAY-ANSWERS",
    "ENTRY-SHOPPER-JOURNEY",
    "PROMETHEUS-TARGETS-UP",
    "ALERTMANAGER-WATCHDOG",
    "ALERTMANAGER-SLACK-RECEIVER",
    "LOKI-RECENT-LOGS",
    "TEMPO-RECENT-TRACE",
    "GRAFANA-DATASOURCES",
}


def smoke(
    cluster: StandInCluster, root: Path, url: str, output_format: str = "text", output: str = "", shop: str = SHOP
) -> int:
    return smoke_command(root, "", "", url, output_format, output, shop, connect_to=lambda kubeconfig, context: cluster)


def checks_by_status(report: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {"pass": set(), "fail": set()}
    for check in json.loads(report)["checks"]:
        found[check["status"]].add(check["id"])
    return found


def test_a_healthy_platform_passes_every_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cluster = StandInCluster()
    with stand_in_shop() as shop:
        code = smoke(cluster, tmp_path, f"http://127.0.0.1:{shop.server_port}", "json")
        orders = shop.orders
    report = capsys.readouterr().out
    assert code == 0, report
    assert checks_by_status(report) == {"pass": CHECKS, "fail": set()}
    assert orders == 1  # the journey reached the order confirmation
    assert cluster.closed and not (tmp_path / "reports").exists()


def test_trouble_fails_the_checks_that_own_it_and_leaves_a_redacted_bundle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster = StandInCluster()
    cluster.new_pods_start = False
    cluster.change(
        "delete", "pod", next(name for ns, name in cluster.pods if name.startswith("cartservice")), "-n", SHOP
    )
    cluster.change("apply", "-f", "-", stdin=json.dumps(crash_loop_pod()))
    cluster.applications[2]["status"]["sync"]["status"] = "OutOfSync"
    cluster.down_targets = ["serviceMonitor/monitoring/kube-prometheus-stack-kube-etcd/0"]
    cluster.frontend_traces = False
    with stand_in_shop(failing_checkouts=True) as shop:
        code = smoke(cluster, tmp_path, f"http://127.0.0.1:{shop.server_port}")
    report = capsys.readouterr().out
    assert code == 1
    failed = {line.split()[1] for line in report.splitlines() if line.startswith("FAIL")}
    assert failed == {
        "ARGOCD-APPLICATIONS-SYNCED",
        "WORKLOADS-AVAILABLE",
        "PODS-HEALTHY",
        "ENTRY-SHOPPER-JOURNEY",
        "PROMETHEUS-TARGETS-UP",
        "TEMPO-RECENT-TRACE",
    }
    assert "argocd/loki OutOfSync/Healthy" in report
    assert "Deployment online-boutique/cartservice 0/1 available" in report
    assert "pod online-boutique/crash-loop server: CrashLoopBackOff" in report
    assert "checkout: POST http://127.0.0.1" in report and "answered 500" in report
    assert "kube-etcd/0" in report and "connection refused" in report
    assert report.count("      fix: ") == 6
    bundle = Path(report.rsplit("diagnostics: ", 1)[1].strip())
    assert bundle.parent == tmp_path / "reports" and bundle.stat().st_mode & 0o777 == 0o600
    with tarfile.open(bundle) as archive:
        files = {Path(member.name).relative_to(Path(member.name).parts[0]).as_posix(): member for member in archive}
        texts = {name: archive.extractfile(member).read().decode() for name, member in files.items()}  # type: ignore[union-attr]
    assert {"checks.json", "nodes.txt", "applications.txt", "events.txt"} <= set(texts)
    assert "pods/online-boutique_crash-loop.describe.txt" in texts
    assert "panic: boom" in texts["pods/online-boutique_crash-loop.previous.log"]
    assert "argocd/loki: OutOfSync/Healthy" in texts["applications.txt"]
    everything = "\n".join(texts.values())
    assert LEAKED_PASSWORD not in everything and LEAKED_WEBHOOK not in everything
    assert "[REDACTED]" in texts["pods/online-boutique_crash-loop.describe.txt"]


def crash_loop_pod() -> dict[str, object]:
    container = {"name": "server", "image": "registry.example/crash:1", "command": ["sh", "-c", "exit 1"]}
    return {"kind": "Pod", "metadata": {"namespace": SHOP, "name": "crash-loop"}, "spec": {"containers": [container]}}


@pytest.mark.parametrize(
    ("fault", "check"),
    [
        (lambda cluster: setattr(cluster, "shop_logs", False), "LOKI-RECENT-LOGS"),
        (lambda cluster: cluster.nodes[1]["status"]["conditions"][0].update(status="False"), "CLUSTER-NODES-READY"),
        (lambda cluster: setattr(cluster, "last_backup", "2026-01-01T00:00:00Z"), "ETCD-BACKUP-RECENT"),
        (lambda cluster: setattr(cluster, "last_backup", ""), "ETCD-BACKUP-RECENT"),
    ],
)
def test_each_observability_or_node_fault_fails_its_check_in_junit(
    fault: object, check: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster = StandInCluster()
    fault(cluster)  # type: ignore[operator]
    with stand_in_shop() as shop:
        code = smoke(cluster, tmp_path, f"http://127.0.0.1:{shop.server_port}", "junit", str(tmp_path / "smoke.xml"))
    assert code == 1
    suite = ElementTree.parse(tmp_path / "smoke.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == str(len(CHECKS)) and suite.get("failures") == "1"
    failing = [case.get("name") for case in suite.iter("testcase") if case.find("failure") is not None]
    assert failing == [check]
    assert "diagnostics: " in capsys.readouterr().out


def test_the_shop_namespace_is_the_one_asked_for(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with stand_in_shop() as shop:
        code = smoke(StandInCluster(), tmp_path, f"http://127.0.0.1:{shop.server_port}", shop="online-boutique-dev")
    report = capsys.readouterr().out
    assert code == 1
    assert [line.split()[1] for line in report.splitlines() if line.startswith("FAIL")] == ["LOKI-RECENT-LOGS"]
    assert "no log line of namespace online-boutique-dev" in report


def test_an_output_that_cannot_be_written_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    with stand_in_shop() as shop:
        code = smoke(
            StandInCluster(),
            tmp_path,
            f"http://127.0.0.1:{shop.server_port}",
            "junit",
            str(tmp_path / "a-file" / "x.xml"),
        )
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    [line] = captured.err.splitlines()
    assert line.startswith(f"smoke: cannot write {tmp_path}/a-file/x.xml: ") and line.endswith(
        "choose another --output"
    )


def test_an_unreachable_cluster_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cluster = StandInCluster()
    cluster.unreachable = True
    assert smoke(cluster, tmp_path, "") == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1 and "connection refused" in captured.err
    assert cluster.closed


def test_invoke_smoke_without_a_cluster_exits_2_with_one_line(tmp_path: Path) -> None:
    missing = run_task(tmp_path, "--search-root", str(REPOSITORY), "smoke", "--kubeconfig", "/nonexistent", timeout=60)
    with socket.socket() as probe:  # a port of 127.0.0.1 nobody listens on, for the real kubectl to dial
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: gone\n"
        f"clusters: [{{name: gone, cluster: {{server: 'https://127.0.0.1:{port}'}}}}]\n"
        "users: [{name: gone, user: {username: nobody, password: ''}}]\n"  # no prompt for a login
        "contexts: [{name: gone, context: {cluster: gone, user: gone}}]\n",
        encoding="utf-8",
    )
    refused = run_task(tmp_path, "--search-root", str(REPOSITORY), "smoke", "--kubeconfig", str(kubeconfig), timeout=60)
    for completed in (missing, refused):
        assert completed.returncode == 2, completed.stderr
        assert completed.stdout == "" and len(completed.stderr.splitlines()) == 1, completed.stderr
        assert "Traceback" not in completed.stderr
    assert "no kubeconfig at /nonexistent" in missing.stderr
    assert f"127.0.0.1:{port}" in refused.stderr and "refused" in refused.stderr
