"""The smoke test's observability checks, each asking the component itself over HTTP inside the cluster:
Prometheus has a target up for every ServiceMonitor and PodMonitor and none down; Alertmanager holds the
Watchdog alert and has a Slack receiver; Loki has recent log lines of the shop; Tempo has a recent trace of the
frontend; every Grafana datasource passes Grafana's own health check."""

from __future__ import annotations

import base64
import json
import time
import urllib.parse
from typing import Any

import yaml

from gitops_toolkit.checks.smoke.cluster_checks import items, where
from gitops_toolkit.checks.smoke.result import CheckResult, timed
from gitops_toolkit.tools.cluster_api import ClusterApi, ClusterError

RECENT_SECONDS = 15 * 60
PROMETHEUS = ("monitoring", "kube-prometheus-stack-prometheus", 9090)
ALERTMANAGER = ("monitoring", "kube-prometheus-stack-alertmanager", 9093)
LOKI = ("logging", "loki-gateway", 80)
TEMPO = ("tracing", "tempo", 3200)
GRAFANA = ("monitoring", "kube-prometheus-stack-grafana", 80)
GRAFANA_ADMIN = ("monitoring", "grafana-admin")  # the Secret `invoke bootstrap` creates (admin-user, admin-password)
MONITOR_KINDS = {
    "serviceMonitor": "servicemonitors.monitoring.coreos.com",
    "podMonitor": "podmonitors.monitoring.coreos.com",
}


def ask(cluster: ClusterApi, service: tuple[str, str, int], path: str, auth: tuple[str, str] | None = None) -> Any:
    """The JSON a component answers at `path`; ClusterError when it answers anything but 200 with JSON."""
    namespace, name, port = service
    answer = cluster.http(namespace, name, port, path, auth)
    if answer.status != 200:
        raise ClusterError(f"{name} answered {answer.status} to {path.split('?')[0]}: {answer.body.strip()[:160]}")
    try:
        return json.loads(answer.body)
    except json.JSONDecodeError:
        raise ClusterError(f"{name} answered {path.split('?')[0]} with something that is not JSON") from None


def query(**parameters: str | int) -> str:
    return urllib.parse.urlencode(parameters)


def scrape_targets(cluster: ClusterApi) -> list[str]:
    targets = ask(cluster, PROMETHEUS, "/api/v1/targets?state=active")["data"]["activeTargets"]
    problems = [
        f"{target.get('scrapePool')} {target.get('labels', {}).get('instance', '')} down: {target.get('lastError', '')}"
        for target in targets
        if target.get("health") != "up"
    ]
    pools = {str(target.get("scrapePool", "")) for target in targets}
    for prefix, kind in MONITOR_KINDS.items():
        for monitor in items(cluster, kind):
            if not any(pool.startswith(f"{prefix}/{where(monitor)}/") for pool in pools):
                problems.append(f"{prefix} {where(monitor)}: no target")
    return problems


def watchdog_firing(cluster: ClusterApi) -> list[str]:
    alerts = ask(cluster, ALERTMANAGER, "/api/v2/alerts?" + query(filter='alertname="Watchdog"', active="true"))
    return [] if alerts else ["no Watchdog alert in Alertmanager: Prometheus is not evaluating rules or not sending"]


def slack_receiver(cluster: ClusterApi) -> list[str]:
    original = ask(cluster, ALERTMANAGER, "/api/v2/status").get("config", {}).get("original", "")
    receivers = (yaml.safe_load(original) or {}).get("receivers") or []
    slack = [receiver["name"] for receiver in receivers if receiver.get("slack_configs")]
    return [] if slack else ["Alertmanager's running configuration has no receiver with slack_configs"]


def recent_shop_logs(cluster: ClusterApi, shop: str) -> list[str]:
    path = "/loki/api/v1/query_range?" + query(
        query=f'{{namespace="{shop}"}}', since=f"{RECENT_SECONDS}s", limit=5, direction="backward"
    )
    streams = ask(cluster, LOKI, path)["data"]["result"]
    if any(stream.get("values") for stream in streams):
        return []
    return [f"no log line of namespace {shop} in the last {RECENT_SECONDS // 60} minutes"]


def recent_frontend_trace(cluster: ClusterApi) -> list[str]:
    now = int(time.time())
    path = "/api/search?" + query(tags="service.name=frontend", limit=1, start=now - RECENT_SECONDS, end=now)
    if ask(cluster, TEMPO, path).get("traces"):
        return []
    return [f"no trace of service frontend in the last {RECENT_SECONDS // 60} minutes"]


def grafana_datasources(cluster: ClusterApi) -> list[str]:
    namespace, name = GRAFANA_ADMIN
    data = cluster.get("secret", name, "-n", namespace).get("data", {})
    user, password = (base64.b64decode(data.get(key, "")).decode() for key in ("admin-user", "admin-password"))
    auth = (user, password)
    datasources = ask(cluster, GRAFANA, "/api/datasources", auth)
    problems = []
    for datasource in datasources:
        answer = cluster.http(*GRAFANA, f"/api/datasources/uid/{datasource['uid']}/health", auth)
        if answer.status != 200:
            problems.append(f"{datasource['name']} ({datasource['type']}): {answer.body.strip()[:160]}")
    return problems if datasources else ["Grafana has no datasource"]


def observability_checks(cluster: ClusterApi, shop: str) -> list[CheckResult]:
    """The checks, in order; `shop` is the namespace Online Boutique runs in."""
    return [
        timed(
            "PROMETHEUS-TARGETS-UP",
            "every ServiceMonitor and PodMonitor has targets, all up",
            "a target down: its pods and the NetworkPolicies in front of them; no target: the monitor's "
            "selector or namespaceSelector matches no Service or pod (Prometheus UI, Status > Targets)",
            lambda: scrape_targets(cluster),
        ),
        timed(
            "ALERTMANAGER-WATCHDOG",
            "the Watchdog alert is firing",
            "Prometheus's rule evaluation and its alertmanagers (Prometheus UI, Status > Runtime; Alerts)",
            lambda: watchdog_firing(cluster),
        ),
        timed(
            "ALERTMANAGER-SLACK-RECEIVER",
            "a Slack receiver is configured",
            "the sealed webhooks: `invoke slack.seal`, then check the Secret in monitoring was unsealed",
            lambda: slack_receiver(cluster),
        ),
        timed(
            "LOKI-RECENT-LOGS",
            f"Loki has recent log lines of {shop}",
            "the Alloy DaemonSet in logging (its logs name the push error) and Loki's gateway",
            lambda: recent_shop_logs(cluster, shop),
        ),
        timed(
            "TEMPO-RECENT-TRACE",
            "Tempo has a recent trace of the frontend",
            "the OpenTelemetry collector in opentelemetry (its logs) and the shop's tracing component "
            "(ENABLE_TRACING, COLLECTOR_SERVICE_ADDR)",
            lambda: recent_frontend_trace(cluster),
        ),
        timed(
            "GRAFANA-DATASOURCES",
            "every Grafana datasource passes its health check",
            "Grafana > Connections > Data sources names the error; check the datasource's URL and Service",
            lambda: grafana_datasources(cluster),
        ),
    ]
