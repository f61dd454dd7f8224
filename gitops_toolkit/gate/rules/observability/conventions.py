"""Observability rules: alerts that people can act on (severity, summary, description, runbook, `for:`),
dashboards Grafana can load (valid JSON, unique uid, known datasources), and exactly one default
datasource (a second one makes Grafana refuse to start)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from json import JSONDecodeError
from typing import Any
from urllib.parse import urlsplit

from gitops_toolkit.core.bounded_yaml import YamlRejected
from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.gate.rules.addresses import service_and_namespace, service_port
from gitops_toolkit.gate.rules.controller_pods import kubeadm_component
from gitops_toolkit.gate.rules.index import ResourceIndex, namespace_of
from gitops_toolkit.gate.rules.observability.grafana import is_datasource_config_map, provisioning_documents
from gitops_toolkit.gate.rules.observability.metric_sources import (
    MONITOR_KINDS,
    exporters_of,
    metric_names,
    recorded_metrics,
    scraped_words,
    unscraped,
)
from gitops_toolkit.gate.rules.observability.monitor_selection import scraping_monitors
from gitops_toolkit.gate.rules.observability.promql import dashboards, panels, prometheus_rules, queries

SEVERITIES = ("critical", "warning")
ANNOTATIONS = ("summary", "description", "runbook_url")


def _alerts(rule: Resource) -> Iterator[tuple[dict[str, Any], tuple[str | int, ...]]]:
    for g, group in enumerate((rule.obj.get("spec") or {}).get("groups") or []):
        for r, body in enumerate(group.get("rules") or [] if isinstance(group, dict) else []):
            if isinstance(body, dict) and body.get("alert"):
                yield body, ("spec", "groups", g, "rules", r)


def _problems(alert: dict[str, Any], runbooks: frozenset[str]) -> list[str]:
    name = str(alert["alert"])
    labels, annotations = alert.get("labels") or {}, alert.get("annotations") or {}
    problems = []
    if labels.get("severity") not in SEVERITIES:
        problems.append(f"label severity must be one of {', '.join(SEVERITIES)}")
    problems += [f"annotation {key} is missing" for key in ANNOTATIONS if not annotations.get(key)]
    runbook = str(annotations.get("runbook_url", ""))
    if runbook and not runbook.endswith(f"docs/runbooks/{name}.md"):
        problems.append(f"runbook_url should link docs/runbooks/{name}.md")
    elif runbook and name not in runbooks:
        problems.append(f"docs/runbooks/{name}.md does not exist")
    if not alert.get("for") and not str(alert.get("expr", "")).strip().startswith("vector("):
        problems.append("no `for:`: a single bad scrape would page someone")
    return problems


def _identity(rule: Resource, alert: dict[str, Any]) -> tuple[str, str, frozenset[tuple[str, str]]]:
    """What tells two alerts apart for Prometheus and Alertmanager: their name and labels (the kubernetes-mixin
    names one alert twice, at two severities), here per namespace (each namespace's rules may feed another
    Prometheus)."""
    labels: dict[str, Any] = alert["labels"] if isinstance(alert.get("labels"), dict) else {}
    return namespace_of(rule), str(alert["alert"]), frozenset((str(k), str(v)) for k, v in labels.items())


def check_alert_conventions(index: ResourceIndex) -> Iterator[Finding]:
    seen: dict[tuple[str, str, frozenset[tuple[str, str]]], tuple[Resource, tuple[str | int, ...]]] = {}
    for rule in prometheus_rules(index.resources):
        for alert, path in _alerts(rule):
            name = str(alert["alert"])
            problems = _problems(alert, index.repository.runbooks)
            first, first_path = seen.setdefault(_identity(rule, alert), (rule, path))
            if (first, first_path) != (rule, path):
                problems.append(
                    f"another alert is also named {name}, with the same labels (PrometheusRule {first.ref.name}); "
                    "Alertmanager cannot tell them apart"
                )
            if problems:
                yield rule.finding("OBS-ALERT-CONVENTIONS", f"alert {name}: {'; '.join(problems)}", (*path, "alert"))


# Grafana's own pseudo-datasources: every Grafana has them.
_BUILT_IN_DATASOURCES = {"-- Mixed --", "-- Grafana --", "-- Dashboard --", "grafana", "datasource"}


def check_dashboards(index: ResourceIndex) -> Iterator[Finding]:
    known = {d.uid for d in index.repository.datasources} | {d.name for d in index.repository.datasources}
    known |= _BUILT_IN_DATASOURCES
    uids: dict[str, str] = {}
    for resource, key, board in dashboards(index.resources):
        where = ("data", key)
        if isinstance(board, JSONDecodeError):
            yield resource.finding(
                "OBS-DASHBOARD-INVALID",
                f"{key} is not valid JSON (line {board.lineno}: {board.msg}); Grafana skips it",
                where,
            )
            continue
        if not isinstance(board, dict):
            yield resource.finding("OBS-DASHBOARD-INVALID", f"{key} is not a dashboard object", where)
            continue
        uid = str(board.get("uid") or "")
        if not uid:
            yield resource.finding("OBS-DASHBOARD-UID", f"{key} has no uid; links to it break on every import", where)
        elif uid in uids:
            yield resource.finding(
                "OBS-DASHBOARD-UID", f"{key} reuses uid {uid} of {uids[uid]}; Grafana keeps one", where
            )
        else:
            uids[uid] = key
        if not index.repository.datasources:
            continue
        for panel in panels(board):
            for datasource in [panel.get("datasource"), *[t.get("datasource") for t in panel.get("targets") or []]]:
                reference = datasource.get("uid") if isinstance(datasource, dict) else datasource
                if reference and not str(reference).startswith("$") and str(reference) not in known:
                    yield resource.finding(
                        "OBS-DASHBOARD-DATASOURCE",
                        f"{key}, panel `{panel.get('title', '')}` uses datasource {reference}, which Grafana is not "
                        f"provisioned with (known: {', '.join(sorted(known - _BUILT_IN_DATASOURCES))})",
                        where,
                    )


def check_datasource_files(index: ResourceIndex) -> Iterator[Finding]:
    """Grafana skips a provisioning file it cannot read, with only a log line."""
    for resource in filter(is_datasource_config_map, index.resources):
        for key, provisioning in provisioning_documents(resource):
            if isinstance(provisioning, YamlRejected):
                problem = provisioning.message
            elif not isinstance(provisioning, dict) or not isinstance(provisioning.get("datasources", []), list):
                problem = "it is not a mapping with a `datasources:` list"
            else:
                continue
            yield resource.finding(
                "OBS-DATASOURCE-INVALID",
                f"{key} cannot be read as Grafana datasource provisioning ({problem}); Grafana skips it",
                ("data", key),
            )


def check_datasource_urls(index: ResourceIndex) -> Iterator[Finding]:
    """A datasource URL naming a cluster Service (`http://loki-gateway.loki.svc`, or a short name in Grafana's
    namespace) that is not rendered, or lacks that port: every panel on it errors."""
    external = set(index.config.external_services)
    here = {namespace_of(resource) for resource in index.resources}
    for datasource in index.repository.datasources:
        if datasource.namespace not in here:
            continue  # this Grafana is not deployed with what this run checks
        parts = urlsplit(datasource.url) if "://" in datasource.url else None
        if parts is None or not parts.hostname or not re.search("[a-z]", parts.hostname):
            continue
        target = service_and_namespace(parts.hostname, datasource.namespace)
        if target is None or not target[1]:
            continue  # outside the cluster, or a short name whose namespace is not known
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if f"{parts.hostname}:{port}" in external:
            continue
        service = index.get("Service", target[1], target[0])
        if service is None:
            problem = f"there is no Service {target[0]} in namespace {target[1]}"
        elif service_port(service, port) is None:
            problem = f"Service {target[1]}/{target[0]} has no port {port}"
        else:
            continue
        yield Finding(
            datasource.where,
            datasource.url_line,
            "OBS-DATASOURCE-URL",
            f"datasource {datasource.name} URL {datasource.url}: {problem}, so every panel on it fails; fix the "
            f"URL, or list {parts.hostname}:{port} in external-services if it lives outside this repository",
        )


def check_default_datasources(index: ResourceIndex) -> Iterator[Finding]:
    defaults = [d for d in index.repository.datasources if d.is_default]
    for extra in defaults[1:]:
        yield Finding(
            extra.where,
            extra.line,
            "OBS-DATASOURCE-DEFAULT",
            f"datasource {extra.name} is marked default besides {defaults[0].name}; Grafana refuses to start with two "
            "defaults: set isDefault: false",
        )


def check_metrics_scraped(index: ResourceIndex) -> Iterator[Finding]:
    """An alert or dashboard on metrics nothing scrapes never fires and stays empty."""
    if not index.all_of_kind(*MONITOR_KINDS):
        return  # the repository does not define its scraping here: nothing to compare with
    if index.repository.incomplete:
        return  # a monitor may sit in what did not render; that failure is the finding
    words = scraped_words(scraping_monitors(index))
    rules = prometheus_rules(index.all_of_kind("PrometheusRule"))
    recorded = recorded_metrics(rules)
    for rule in prometheus_rules(index.resources):
        for g, group in enumerate((rule.obj.get("spec") or {}).get("groups") or []):
            for r, body in enumerate(group.get("rules") or [] if isinstance(group, dict) else []):
                if not isinstance(body, dict) or not body.get("expr"):
                    continue
                missing = unscraped(metric_names(str(body["expr"])), words, recorded)
                if missing:
                    what = f"alert {body['alert']}" if body.get("alert") else f"recording rule {body.get('record')}"
                    yield rule.finding(
                        "OBS-METRIC-UNSCRAPED",
                        f"{what} needs {', '.join(missing)}, which nothing in the repository scrapes (no "
                        f"ServiceMonitor, PodMonitor, Probe or ScrapeConfig names {_exporters(missing)}), so it "
                        "never fires: add a monitor for that exporter (or enable the chart's)",
                        ("spec", "groups", g, "rules", r, "expr"),
                    )
    by_dashboard: dict[tuple[int, str], tuple[Resource, set[str]]] = {}
    for query in queries(index.resources):
        missing = unscraped(metric_names(query.expr), words, recorded)
        if missing:
            by_dashboard.setdefault((id(query.dashboard), query.key), (query.dashboard, set()))[1].update(missing)
    for (_, key), (dashboard, missing_metrics) in by_dashboard.items():
        missing = sorted(missing_metrics)
        yield dashboard.finding(
            "OBS-METRIC-UNSCRAPED",
            f"{key} queries {', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}, which nothing in the "
            f"repository scrapes (no monitor names {_exporters(missing)}), so its panels stay empty: add a monitor "
            "for that exporter (or enable the chart's)",
            ("data", key),
        )


def _exporters(metrics: list[str]) -> str:
    return " or ".join(sorted({word for metric in metrics for word in exporters_of(metric)}))


def check_scrape_reachable(index: ResourceIndex) -> Iterator[Finding]:
    """kubeadm binds etcd's, the controller-manager's, the scheduler's and kube-proxy's metrics to 127.0.0.1:
    a Service exposing them for scraping gets targets that are down forever, and critical alerts with them."""
    opened = index.repository.kubeadm_opened
    if opened is None:
        return  # no kubeadm configuration here: how the cluster binds them is not known
    for service in index.of_kind("Service"):
        component = kubeadm_component(namespace_of(service), (service.obj.get("spec") or {}).get("selector"))
        if component is None or component.metrics_port is None or component.name in opened:
            continue
        yield service.finding(
            "OBS-SCRAPE-UNREACHABLE",
            f"scrapes {component.name} on port {component.metrics_port}, which kubeadm binds to 127.0.0.1, so "
            "the target is down and its alerts fire forever; set "
            f"{component.opened_by} in the bootstrap's kubeadm configuration (platform/), or stop scraping it "
            "(kube-prometheus-stack: the component's `enabled: false`)",
            ("spec", "selector"),
        )
