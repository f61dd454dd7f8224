"""Observability rules: alert rules and dashboards that pass (tests/fixtures/observability.yaml), then one
defect at a time; PromQL checked by the real promtool."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from gitops_toolkit.core.bounded_yaml import load_yaml_text
from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.gate_settings import GateConfig
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.gate.rules.observability.grafana import Datasource, from_config_maps
from gitops_toolkit.gate.rules.observability.promql import check_promql
from gitops_toolkit.gate.rules.repository_facts import RepositoryFacts
from gitops_toolkit.gate.rules.rule_set import run_rules
from tests.conftest import REPOSITORY

FIXTURE = (REPOSITORY / "tests" / "fixtures" / "observability.yaml").read_text(encoding="utf-8")
DATASOURCES = (
    Datasource("Prometheus", "prometheus", "prometheus", True, "values.yaml"),
    Datasource("Loki", "loki", "loki", False, "values.yaml"),
)


def resources() -> list[Resource]:
    return [
        Resource(copy.deepcopy(d.data), "observability", "observability/shop.yaml", d.line, d)
        for d in load_yaml_text(FIXTURE)
    ]


def findings(objects: list[Resource], datasources: tuple[Datasource, ...] = DATASOURCES) -> list[Finding]:
    facts = RepositoryFacts(datasources=datasources, runbooks=frozenset({"ShopDown"}))
    return run_rules(objects, GateConfig(), repository=facts) + check_promql(objects)


def alert(objects: list[Resource]) -> dict[str, Any]:
    rule: dict[str, Any] = objects[0].obj["spec"]["groups"][0]["rules"][0]
    return rule


def edit_dashboard(objects: list[Resource], change: Callable[[dict[str, Any]], object]) -> None:
    board = json.loads(objects[1].obj["data"]["shop.json"])
    change(board)
    objects[1].obj["data"]["shop.json"] = json.dumps(board)


def test_the_fixture_passes() -> None:
    assert findings(resources()) == []


OBS_PLANTED: dict[str, Callable[[list[Resource]], object]] = {
    "OBS-ALERT-CONVENTIONS": lambda o: alert(o).pop("for"),
    "OBS-PROMQL-INVALID": lambda o: alert(o).update(expr='up{job="shop"} == = 0'),
    "OBS-DASHBOARD-INVALID": lambda o: o[1].obj["data"].update({"shop.json": '{"uid": "shop",'}),
    "OBS-DASHBOARD-UID": lambda o: edit_dashboard(o, lambda b: b.pop("uid")),
    "OBS-DASHBOARD-PROMQL": lambda o: edit_dashboard(
        o, lambda b: b["panels"][0]["targets"][0].update(expr="sum(rate(")
    ),
    "OBS-DASHBOARD-DATASOURCE": lambda o: edit_dashboard(
        o, lambda b: b["panels"][0].update(datasource={"uid": "influx"})
    ),
    "OBS-MONITOR-UNSELECTED": lambda o: o.extend(unselected_monitor()),
}


def unselected_monitor() -> list[Resource]:
    """A Prometheus that selects `release: main`, and a ServiceMonitor without that label."""
    prometheus = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "Prometheus",
        "metadata": {"name": "main", "namespace": "monitoring"},
        "spec": {"serviceMonitorSelector": {"matchLabels": {"release": "main"}}, "serviceMonitorNamespaceSelector": {}},
    }
    monitor = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "shop", "namespace": "shop"},
        "spec": {"selector": {"matchLabels": {"app": "shop"}}, "endpoints": [{"port": "http"}]},
    }
    return [Resource(obj, "observability", "observability/monitors.yaml", 1) for obj in (prometheus, monitor)]


@pytest.mark.parametrize("rule", sorted(OBS_PLANTED))
def test_a_planted_defect_is_reported(rule: str) -> None:
    objects = resources()
    OBS_PLANTED[rule](objects)
    assert [f.rule for f in findings(objects)] == [rule]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda a: a["labels"].update(severity="page"), "label severity must be one of critical, warning"),
        (lambda a: a["annotations"].pop("runbook_url"), "annotation runbook_url is missing"),
        (lambda a: a.update(alert="ShopSlow"), "docs/runbooks/ShopSlow.md"),
    ],
)
def test_alert_conventions_say_what_is_wrong(change: Callable[[dict[str, Any]], object], problem: str) -> None:
    objects = resources()
    change(alert(objects))
    [finding] = findings(objects)
    assert finding.rule == "OBS-ALERT-CONVENTIONS" and problem in finding.message


def test_two_default_datasources_are_refused() -> None:
    two_defaults = (*DATASOURCES[:1], Datasource("Loki", "loki", "loki", True, "observability/values.yaml"))
    [finding] = findings(resources(), two_defaults)
    assert (finding.rule, finding.path) == ("OBS-DATASOURCE-DEFAULT", "observability/values.yaml")


def test_without_promtool_the_gate_warns_instead_of_passing_silently(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gitops_toolkit.gate.rules.observability.promql.promtool", lambda: None)
    objects = resources()
    alert(objects).update(expr="this is ( not PromQL")
    [finding] = findings(objects)
    assert (finding.rule, str(finding.severity)) == ("OBS-PROMTOOL-MISSING", "warning")


def test_two_alerts_with_one_name_in_one_rule_file_are_reported() -> None:
    objects = resources()
    rules = objects[0].obj["spec"]["groups"][0]["rules"]
    rules.append(copy.deepcopy(rules[0]))
    assert [f.rule for f in findings(objects)] == ["OBS-ALERT-CONVENTIONS"]


def test_panels_in_legacy_rows_are_checked() -> None:
    objects = resources()

    def to_rows(board: dict[str, Any]) -> None:
        board["rows"] = [{"title": "old", "panels": board.pop("panels")}]
        board["rows"][0]["panels"][0]["targets"][0]["expr"] = "sum(rate("

    edit_dashboard(objects, to_rows)
    assert [f.rule for f in findings(objects)] == ["OBS-DASHBOARD-PROMQL"]


def _panels(board: dict[str, Any], expressions: list[str]) -> None:
    template = board["panels"][0]
    board["panels"] = [
        {**copy.deepcopy(template), "title": f"panel {n}", "targets": [{"expr": expr}]}
        for n, expr in enumerate(expressions)
    ]


def test_each_query_that_does_not_parse_is_reported_at_its_own_panel() -> None:
    objects = resources()
    good = 'sum(rate(http_requests_total{job="shop"}[$__rate_interval]))'
    edit_dashboard(objects, lambda b: _panels(b, [good, "sum(rate(", good, good, "up{", good]))
    found = check_promql(objects)
    assert [(f.rule, f.message.split("`")[1]) for f in found] == [
        ("OBS-DASHBOARD-PROMQL", "panel 1"),
        ("OBS-DASHBOARD-PROMQL", "panel 4"),
    ]


def test_a_query_promtool_cannot_even_read_is_reported_alone() -> None:
    # A lone UTF-16 surrogate (valid in Grafana's JSON) is not YAML promtool reads: its error names no rule,
    # so the queries are checked one by one and only that panel is reported.
    objects = resources()
    edit_dashboard(objects, lambda b: _panels(b, ["up", 'up{a="\ud800"}', "sum(rate(", "up"]))
    found = {f.message.split("`")[1]: f.message for f in check_promql(objects)}
    assert sorted(found) == ["panel 1", "panel 2"]
    assert "invalid Unicode" in found["panel 1"]


def provisioning(text: str) -> Resource:
    config_map = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "loki-datasource", "namespace": "monitoring", "labels": {"grafana_datasource": "1"}},
        "data": {"loki.yaml": text},
    }
    return Resource(config_map, "observability", "observability/datasources.yaml", 1, None)


@pytest.mark.parametrize("is_default", ['"true"', "'1'", "True", "true"])
def test_every_form_grafana_reads_as_true_counts_as_a_default(is_default: str) -> None:
    text = f"apiVersion: 1\ndatasources:\n  - name: Loki\n    type: loki\n    uid: loki\n    isDefault: {is_default}\n"
    assert from_config_maps([provisioning(text)])[0].is_default


def test_a_provisioning_file_grafana_cannot_read_is_reported() -> None:
    objects = [*resources(), provisioning("apiVersion: 1\ndatasources:\n  - name: [Loki\n")]
    assert [f.rule for f in findings(objects)] == ["OBS-DATASOURCE-INVALID"]
    assert findings([*resources(), provisioning("apiVersion: 1\ndatasources: []\n")]) == []
