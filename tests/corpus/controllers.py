"""In the shape of kubernetes/examples and kube-prometheus: what controllers add to the pods they create. The
StatefulSet controller labels each pod with its name and index and puts a claim in place of the volume of a
claim template's name; prometheus-operator copies `spec.podMetadata.labels` to its pods. The API server
checks a workload's whole selector, `matchExpressions` included, against its template."""

from __future__ import annotations

from tests.corpus.shapes import Case, crd, deployment, line_of, namespace, network_policies, pod_spec

WEB_POD = pod_spec(
    "web",
    "registry.example.org/web:2.0.1",
    6,
    extra_container="    volumeMounts:\n      - {name: data, mountPath: /data}\n",
    extra_pod="volumes:\n  - name: data\n    persistentVolumeClaim: {claimName: data}\n",
)
STATEFUL = f"""\
apiVersion: v1
kind: ServiceAccount
metadata: {{name: web, namespace: shop}}
automountServiceAccountToken: false
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: web, namespace: shop}}
spec:
  serviceName: web
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
{WEB_POD}  volumeClaimTemplates:
    - metadata: {{name: data}}
      spec:
        accessModes: [ReadWriteOnce]
        resources:
          requests: {{storage: 1Gi}}
---
apiVersion: v1
kind: Service
metadata: {{name: web-0, namespace: shop}}
spec:
  selector:
    statefulset.kubernetes.io/pod-name: web-0
  ports:
    - {{name: http, port: 80, targetPort: http}}
---
apiVersion: v1
kind: Service
metadata: {{name: web-first, namespace: shop}}
spec:
  selector:
    apps.kubernetes.io/pod-index: "0"
  ports:
    - {{name: http, port: 80, targetPort: http}}
"""
MISMATCHED = deployment("api", "shop", "registry.example.org/api:2.0.1").replace(
    "    matchLabels: {app: api}\n",
    "    matchLabels: {app: api}\n    matchExpressions:\n      - {key: tier, operator: In, values: [backend]}\n",
)
STRAY = """\
apiVersion: v1
kind: Service
metadata: {name: admin, namespace: shop}
spec:
  selector: {app: admin}
  ports:
    - {name: http, port: 80, targetPort: 8080}
"""
PROMETHEUS_CRD = crd("monitoring.coreos.com", "Prometheus", "prometheuses")
PROMETHEUS = """\
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: main, namespace: monitoring}
spec:
  podMetadata:
    labels: {team: observability}
---
apiVersion: v1
kind: Service
metadata: {name: prometheus, namespace: monitoring}
spec:
  selector: {team: observability}
  ports:
    - {name: web, port: 9090, targetPort: 9090}
"""

CASES = {
    "pod labels and volumes controllers add are known; a selector that selects nothing is found": Case(
        files={
            "kustomization.yaml": "resources:\n"
            + "".join(f"  - {name}.yaml\n" for name in ("namespaces", "web", "api", "admin", "crd", "prometheus")),
            "namespaces.yaml": "---\n".join(
                [namespace("shop"), network_policies("shop"), namespace("monitoring"), network_policies("monitoring")]
            ),
            "web.yaml": STATEFUL,
            "api.yaml": MISMATCHED,
            "admin.yaml": STRAY,
            "crd.yaml": PROMETHEUS_CRD,
            "prometheus.yaml": PROMETHEUS,
        },
        reported={
            ("API-SELECTOR", "api.yaml", line_of(MISMATCHED, "selector:")),
            ("XREF-SERVICE-SELECTOR", "admin.yaml", line_of(STRAY, "selector:")),
        },
    ),
}

SCHEDULER = """\
apiVersion: v1
kind: Service
metadata: {name: kube-scheduler, namespace: kube-system}
spec:
  selector: {component: kube-scheduler}
  ports:
    - {name: https-metrics, port: 10259}
"""
CASES["where the repository holds no kubeadm configuration, how it binds metrics is not claimed"] = Case(
    files={"kustomization.yaml": "resources: [scheduler.yaml]\n", "scheduler.yaml": SCHEDULER},
)
