"""PromQL checks that need promtool: every PrometheusRule as Prometheus would load it, and every PromQL
query of every dashboard. Without promtool the gate says so (a warning), never a silent pass."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.tools.promtool import INSTALL_HINT, check_rule_files, promtool

DASHBOARD_LABEL = "grafana_dashboard"
_RULE_POSITION = re.compile(r'group "(?P<group>[^"]*)", rule (?P<rule>\d+)')
# Grafana expands these before the query reaches Prometheus.
_GRAFANA_RANGES = re.compile(r"\$(__rate_interval|__interval|__range)|\$\{(__rate_interval|__interval|__range)\}")
_GRAFANA_VARIABLES = re.compile(r"\$\{[^}]+\}|\$\w+|\[\[\w+\]\]")


@dataclass(frozen=True)
class Query:
    dashboard: Resource
    key: str  # the ConfigMap key holding the dashboard
    panel: str
    expr: str


def prometheus_rules(resources: list[Resource]) -> list[Resource]:
    return [r for r in resources if r.kind == "PrometheusRule" and r.api_version.startswith("monitoring.coreos.com/")]


def dashboards(resources: list[Resource]) -> Iterator[tuple[Resource, str, Any]]:
    """(ConfigMap, key, parsed JSON or the JSONDecodeError) for every dashboard the sidecar would load."""
    for resource in resources:
        if resource.kind != "ConfigMap" or DASHBOARD_LABEL not in (resource.metadata.get("labels") or {}):
            continue
        for key, text in (resource.obj.get("data") or {}).items():
            if str(key).endswith(".json"):
                try:
                    yield resource, str(key), json.loads(str(text))
                except json.JSONDecodeError as error:
                    yield resource, str(key), error


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel: top-level, inside collapsed rows, and inside the legacy `rows` of old dashboard schemas
    (which Grafana still migrates on load)."""
    rows = [row for row in dashboard.get("rows") or [] if isinstance(row, dict)]
    for panel in [*(dashboard.get("panels") or []), *(panel for row in rows for panel in row.get("panels") or [])]:
        if isinstance(panel, dict):
            yield panel
            yield from (inner for inner in panel.get("panels") or [] if isinstance(inner, dict))


def _is_prometheus(datasource: Any) -> bool:
    kind = datasource.get("type") if isinstance(datasource, dict) else None
    return kind in (None, "prometheus") and not (isinstance(datasource, str) and "loki" in datasource.lower())


def queries(resources: list[Resource]) -> Iterator[Query]:
    for resource, key, board in dashboards(resources):
        if not isinstance(board, dict):
            continue
        for panel in panels(board):
            for target in panel.get("targets") or []:
                datasource = target.get("datasource") or panel.get("datasource")
                if isinstance(target, dict) and target.get("expr") and _is_prometheus(datasource):
                    yield Query(resource, key, str(panel.get("title", "")), str(target["expr"]))


def as_prometheus_sees_it(expr: str) -> str:
    return _GRAFANA_VARIABLES.sub("x", _GRAFANA_RANGES.sub("5m", expr))


def _line_in_file(root: Path | None, relative: str, expr: str) -> int:
    """Line of a query in the dashboard's JSON file (1 when it cannot be found)."""
    if root is None or not relative.endswith(".json"):
        return 1
    try:
        text = (root / relative).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return 1
    position = text.find(json.dumps(expr)[1:-1])
    return text.count("\n", 0, position) + 1 if position >= 0 else 1


def check_promql(resources: list[Resource], root: Path | None = None) -> list[Finding]:
    rules = prometheus_rules(resources)
    dashboard_queries = list(queries(resources))
    if not rules and not dashboard_queries:
        return []
    anchor = (rules or [q.dashboard for q in dashboard_queries])[0]
    if promtool() is None:
        return [
            anchor.finding(
                "OBS-PROMTOOL-MISSING", f"promtool is not installed, so no PromQL was checked; {INSTALL_HINT}"
            )
        ]
    try:
        with tempfile.TemporaryDirectory(prefix="gate-promql-") as workspace:
            rule_problems, query_problems = _promtool_problems(Path(workspace), rules, dashboard_queries)
    except ToolError as error:
        return [anchor.finding("OBS-PROMTOOL-MISSING", str(error))]
    findings = [_rule_finding(rule, message) for rule, messages in rule_problems for message in messages]
    for position, message in query_problems:
        query = dashboard_queries[position]
        detail = message.split("could not parse expression: ", 1)[-1]
        findings.append(
            Finding(
                query.dashboard.path,
                _line_in_file(root, query.dashboard.path, query.expr),
                "OBS-DASHBOARD-PROMQL",
                f"dashboard {query.key}, panel `{query.panel}`: query does not parse ({detail}); fix it",
                query.dashboard.ref,
            )
        )
    return findings


def _query_group(expressions: list[str]) -> str:
    rules = [{"record": "dashboard_query", "expr": as_prometheus_sees_it(expr)} for expr in expressions]
    return json.dumps({"groups": [{"name": "dashboard", "rules": rules}]})  # JSON is YAML, and quicker


def _promtool_problems(
    directory: Path, rules: list[Resource], dashboard_queries: list[Query]
) -> tuple[list[tuple[Resource, list[str]]], list[tuple[int, str]]]:
    """One promtool run: a file per PrometheusRule (Prometheus loads each as a file of its own), and every
    dashboard query as a rule of one group in one more file, since promtool names the failing rule's position
    (hundreds of files cost more than promtool's checks). Returns promtool's messages by PrometheusRule, and by
    query position."""
    rule_files = {}
    for position, rule in enumerate(rules):
        path = directory / f"rule-{position}.yaml"
        path.write_text(json.dumps(rule.obj.get("spec") or {}), encoding="utf-8")
        rule_files[path] = rule
    query_file = directory / "queries.yaml"
    query_files = [query_file] if dashboard_queries else []
    for path in query_files:
        path.write_text(_query_group([query.expr for query in dashboard_queries]), encoding="utf-8")
    problems = check_rule_files([*rule_files, *query_files])
    by_rule = [(rule_files[path], found) for path, found in problems.items() if path in rule_files]
    messages = problems.get(query_file, [])
    positions = [_RULE_POSITION.search(message) for message in messages]
    if all(positions):
        return by_rule, [
            (int(match["rule"]) - 1, message) for match, message in zip(positions, messages, strict=True) if match
        ]
    # a message that names no rule (none is known for these files): check each query in a file of its own
    alone = {directory / f"query-{index}.yaml": index for index in range(len(dashboard_queries))}
    for path, index in alone.items():
        path.write_text(_query_group([dashboard_queries[index].expr]), encoding="utf-8")
    return by_rule, [
        (alone[path], message) for path, found in check_rule_files(list(alone)).items() for message in found
    ]


def _rule_finding(rule: Resource, message: str) -> Finding:
    """A promtool message on a PrometheusRule, at the rule it names."""
    where: tuple[str | int, ...] = ("spec",)
    position = _RULE_POSITION.search(message)
    if position:
        groups = (rule.obj.get("spec") or {}).get("groups") or []
        names = [str(group.get("name")) for group in groups]
        if position["group"] in names:
            where = ("spec", "groups", names.index(position["group"]), "rules", int(position["rule"]) - 1, "expr")
    detail = message.split(": ", 1)[-1] if position else message
    return rule.finding("OBS-PROMQL-INVALID", f"Prometheus would reject this rule: {detail}; fix it", where)
