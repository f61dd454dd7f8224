"""The canary's AnalysisTemplate judged by promtool on the series the gateway alerts' unit tests use: each
metric's failureCondition, turned into the PromQL comparison Argo Rollouts makes of the query's first result,
fires on the failing route (10% 5xx, a p95 over a second) and stays silent on the healthy one."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_toolkit.tools.promtool import test_rule_files as promtool_test_rules
from tests.conftest import REPOSITORY

TEMPLATE = REPOSITORY / "gitops-repo/apps/online-boutique/components/canary/analysis-template.yaml"
GATEWAY_TESTS = REPOSITORY / "observability/rule-tests/gateway.yaml"
CONDITION = re.compile(r"result\[0\]\s*(<=|>=|<|>)\s*([0-9.]+)")


def analysis_metrics() -> dict[str, dict[str, Any]]:
    return {metric["name"]: metric for metric in yaml.safe_load(TEMPLATE.read_text())["spec"]["metrics"]}


def gateway_series(test_name: str) -> list[dict[str, str]]:
    tests = yaml.safe_load(GATEWAY_TESTS.read_text())["tests"]
    return list(next(test for test in tests if test["name"] == test_name)["input_series"])


def fails(metric_name: str, series: list[dict[str, str]], tmp_path: Path) -> bool:
    """Whether the metric's failureCondition holds at 15 minutes on these series, as promtool evaluates it."""
    metric = analysis_metrics()[metric_name]
    match = CONDITION.fullmatch(metric["failureCondition"].strip())
    assert match, metric["failureCondition"]
    expression = f"({metric['provider']['prometheus']['query'].strip()}) {match[1]} {match[2]}"
    rules = {"groups": [{"name": "analysis", "rules": [{"alert": "AnalysisFails", "expr": expression}]}]}
    (tmp_path / "analysis.rules.yaml").write_text(yaml.safe_dump(rules))
    outcomes = {}
    for expected in ([{"exp_labels": {}}], []):
        test = {
            "rule_files": ["analysis.rules.yaml"],
            "evaluation_interval": "1m",
            "tests": [
                {
                    "interval": "1m",
                    "input_series": series,
                    "alert_rule_test": [{"eval_time": "15m", "alertname": "AnalysisFails", "exp_alerts": expected}],
                }
            ],
        }
        (tmp_path / "analysis.test.yaml").write_text(yaml.safe_dump(test))
        completed: subprocess.CompletedProcess[str] = promtool_test_rules(tmp_path, ["analysis.test.yaml"])
        assert "FAILED" in completed.stdout + completed.stderr or completed.returncode == 0, completed.stderr
        outcomes[bool(expected)] = completed.returncode == 0
    assert outcomes[True] != outcomes[False]  # exactly one of "it fires" and "it does not" holds
    return outcomes[True]


@pytest.mark.parametrize(
    ("metric", "gateway_test", "failing"),
    [
        ("success-rate", "10% of requests failing with 5xx fires HttpHighErrorRate after 5 minutes", True),
        ("success-rate", "a trickle of errors on an idle route, or 1% on a busy one, does not fire", False),
        ("p95-latency-ms", "a p95 above one second fires HttpHighLatency after 10 minutes", True),
        ("p95-latency-ms", "fast responses do not fire HttpHighLatency", False),
    ],
)
def test_the_analysis_fails_a_failing_route_and_passes_a_healthy_one(
    metric: str, gateway_test: str, failing: bool, tmp_path: Path
) -> None:
    series = [
        s for s in gateway_series(gateway_test) if 'envoy_cluster_name="httproute/online-boutique/' in s["series"]
    ]
    assert series
    assert fails(metric, series, tmp_path) is failing
