"""Alert rules and routes with the real promtool and amtool: every alert has a firing and a silent unit
test and they pass; a broken rule or route makes the checks fail."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from gitops_toolkit.alerts.routing import check_routing
from gitops_toolkit.alerts.rule_tests import RULE_TESTS, run_rule_tests, write_rule_files
from tests.conftest import REPOSITORY, invoke

pytestmark = pytest.mark.integration


def alert_names(directory: Path) -> set[str]:
    return {
        rule["alert"]
        for path in write_rule_files(REPOSITORY, directory)
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
    }


def test_every_alert_has_a_firing_and_a_silent_test(tmp_path: Path) -> None:
    firing, silent = set(), set()
    for path in (REPOSITORY / RULE_TESTS).glob("*.yaml"):
        for test in yaml.safe_load(path.read_text())["tests"]:
            for case in test.get("alert_rule_test", []):
                (firing if case["exp_alerts"] else silent).add(case["alertname"])
    expected = alert_names(tmp_path)
    assert expected == {
        "PodCrashLooping",
        "PodNotReady",
        "HttpHighErrorRate",
        "HttpHighLatency",
        "DeploymentReplicasMismatch",
        "HpaMaxedOut",
        "NodeMemoryPressure",
        "NodeDiskFillingUp",
        "ArgoAppOutOfSync",
        "ArgoAppDegraded",
        "LogPushFailing",
        "TraceExportFailing",
        "CollectorDroppingSpans",
        "MetalLBAddressNotAnnounced",
        "EnvoyGatewayProgrammingFailed",
        "EtcdBackupTooOld",
        "RolloutAborted",
        "RolloutPausedTooLong",
        "Watchdog",
    }
    assert firing == expected
    assert silent == expected - {"Watchdog"}  # it never stays silent, by design


def test_the_rule_unit_tests_pass() -> None:
    passed, report = run_rule_tests(REPOSITORY)
    assert passed, report


def test_a_changed_rule_fails_its_unit_tests(repository_copy: Path) -> None:
    rules = repository_copy / "observability" / "rules" / "workloads.yaml"
    rules.write_text(rules.read_text().replace("severity: critical", "severity: warning", 1))
    passed, report = run_rule_tests(repository_copy)
    assert not passed
    assert "PodCrashLooping" in report


def test_every_route_case_reaches_its_receivers() -> None:
    valid, report, routes = check_routing(REPOSITORY)
    assert valid, report
    assert routes and all(route.passed for route in routes), [r for r in routes if not r.passed]
    assert {tuple(route.expected) for route in routes} == {
        ("slack-critical",),
        ("slack-warnings",),
        ("heartbeat",),
        ("null",),
    }


def test_a_misrouted_alert_fails_the_route_tests(repository_copy: Path) -> None:
    values = repository_copy / "observability" / "alertmanager" / "values.yaml"
    values.write_text(values.read_text().replace("matchers: [severity = critical]", "matchers: [severity = crit]"))
    _, _, routes = check_routing(repository_copy)
    failed = [route for route in routes if not route.passed]
    assert failed and all(route.expected == ["slack-critical"] for route in failed)


def test_invoke_alerts_test_reports_both(repository_copy: Path) -> None:
    shutil.rmtree(repository_copy / "observability" / "rule-tests")
    assert invoke(repository_copy, "alerts.test").returncode == 2  # no tests: cannot run, said in one line
    completed = invoke(REPOSITORY, "alerts.test")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "alert rules and routes: all tests passed" in completed.stdout
