"""In the shape of khuedoan/homelab: each system component a small Helm chart of its own (Chart.yaml beside its
values.yaml), and kustomizations that feed a values file to a generator or apply one as a patch. Those files
are read; a values file nothing reads is not."""

from __future__ import annotations

from tests.corpus.shapes import Case

CHART = """\
apiVersion: v2
name: grafana
version: 0.0.0
dependencies:
  - name: grafana
    version: 10.1.4
    repository: https://grafana.github.io/helm-charts
"""
GENERATED = """\
configMapGenerator:
  - name: dashboards-values
    namespace: monitoring
    files: [dashboards-values.yaml]
patches:
  - path: replicas-values.yaml
resources: [settings.yaml]
"""
SETTINGS = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: monitoring}
data:
  replicas: "1"
"""
PATCH = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: monitoring}
data:
  replicas: "2"
"""

CASES = {
    "a chart's own values and files kustomize reads are used; an orphan values file is not": Case(
        files={
            "system/grafana/Chart.yaml": CHART,
            "system/grafana/values.yaml": "grafana:\n  replicas: 1\n",
            "system/grafana/ci/test-values.yaml": "grafana:\n  replicas: 2\n",
            "system/monitoring/kustomization.yaml": GENERATED,
            "system/monitoring/settings.yaml": SETTINGS,
            "system/monitoring/dashboards-values.yaml": "dashboards: [nodes, pods]\n",
            "system/monitoring/replicas-values.yaml": PATCH,
            "system/retired/values.yaml": "replicas: 3\n",
        },
        reported={("CHART-VALUES-UNUSED", "system/retired/values.yaml", 1)},
    ),
}
