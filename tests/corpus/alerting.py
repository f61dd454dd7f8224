"""In the shape of kube-prometheus and samber/awesome-prometheus-alerts: the kubernetes-mixin's one alert name at
two severities, Alertmanager's configuration kept in the Secret prometheus-operator reads, a Prometheus whose
selector picks only labelled ServiceMonitors, and Grafana datasources that name in-cluster Services."""

from __future__ import annotations

from tests.corpus.shapes import Case, crd, line_of, namespace, network_policies

CRDS = "---\n".join(
    crd("monitoring.coreos.com", kind, plural)
    for kind, plural in (
        ("Prometheus", "prometheuses"),
        ("PrometheusRule", "prometheusrules"),
        ("ServiceMonitor", "servicemonitors"),
    )
)


def _alert(severity: str, threshold: str) -> str:
    return f"""\
        - alert: KubeCPUOvercommit
          expr: sum(kube_pod_container_resource_requests{{resource="cpu"}}) > {threshold}
          for: 10m
          labels: {{severity: {severity}}}
          annotations:
            summary: Cluster has overcommitted CPU resource requests.
            description: More CPU is requested than the nodes can give.
            runbook_url: https://gitlab.example.org/team/cluster/-/blob/main/docs/runbooks/KubeCPUOvercommit.md
"""


RULES = f"""\
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {{name: kubernetes-resources, namespace: monitoring}}
spec:
  groups:
    - name: kubernetes-resources
      rules:
{_alert("warning", "8")}{_alert("critical", "12")}"""
ALERTMANAGER = """\
apiVersion: v1
kind: Secret
metadata: {name: alertmanager-main, namespace: monitoring}
stringData:
  alertmanager.yaml: |
    route:
      receiver: default
      routes:
        - matchers: [severity="critical"]
          receiver: pager
    receivers:
      - name: default
"""
PROMETHEUS = """\
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: main, namespace: monitoring}
spec:
  serviceMonitorSelector:
    matchLabels: {release: main}
  serviceMonitorNamespaceSelector: {}
  ruleSelector: {}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: kube-state-metrics
  namespace: monitoring
  labels: {release: main}
spec:
  selector:
    matchLabels: {app: kube-state-metrics}
  endpoints:
    - port: http
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: node-exporter
  namespace: monitoring
spec:
  selector:
    matchLabels: {app: node-exporter}
  endpoints:
    - port: http
"""
SERVICES = """\
apiVersion: v1
kind: Service
metadata: {name: loki, namespace: monitoring}
spec:
  type: ExternalName
  externalName: loki.example.org
  ports:
    - {name: http, port: 3100}
"""
DATASOURCES = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: datasources
  namespace: monitoring
  labels: {grafana_datasource: "1"}
data:
  datasources.yaml: |
    apiVersion: 1
    datasources:
      - {name: Loki, uid: loki, type: loki, url: "http://loki.monitoring.svc:3100"}
      - {name: Tempo, uid: tempo, type: tempo, url: "http://tempo.tracing.svc:3200"}
"""

CASES = {
    "one alert at two severities is the mixin's way; a missing receiver, an unselected monitor and a datasource "
    "on no Service are not": Case(
        files={
            "kustomization.yaml": "resources:\n"
            + "".join(
                f"  - {n}.yaml\n"
                for n in ("namespace", "crds", "rules", "alertmanager", "prometheus", "services", "datasources")
            ),
            "namespace.yaml": namespace("monitoring") + "---\n" + network_policies("monitoring"),
            "crds.yaml": CRDS,
            "rules.yaml": RULES,
            "alertmanager.yaml": ALERTMANAGER,
            "prometheus.yaml": PROMETHEUS,
            "services.yaml": SERVICES,
            "datasources.yaml": DATASOURCES,
            "docs/runbooks/KubeCPUOvercommit.md": "# KubeCPUOvercommit\n",
        },
        reported={
            ("SECRET-PLAINTEXT", "alertmanager.yaml", 1),
            ("OBS-ALERTMANAGER-CONFIG", "alertmanager.yaml", line_of(ALERTMANAGER, "receiver: pager")),
            ("OBS-ALERTMANAGER-CONFIG", "alertmanager.yaml", line_of(ALERTMANAGER, "route:")),  # amtool's word
            ("OBS-MONITOR-UNSELECTED", "prometheus.yaml", line_of(PROMETHEUS, "name: node-exporter") - 1),
            ("OBS-DATASOURCE-URL", "datasources.yaml", 1),
        },
    ),
}
