"""In the shape of kubernetes/examples and Flux repositories: folders of manifests that no kustomization and no
Argo CD Application names, applied with `kubectl apply -f` or by Flux. They are read on their own, said as
such, and what is wrong in them is reported."""

from __future__ import annotations

from tests.corpus.shapes import Case, autoscaler, crd, deployment, line_of, namespace, network_policies, pod_spec

POD = f"""\
apiVersion: v1
kind: ServiceAccount
metadata: {{name: debug, namespace: tools}}
automountServiceAccountToken: false
---
apiVersion: v1
kind: Pod
metadata: {{name: debug, namespace: tools}}
spec:
  hostPID: true
{pod_spec("debug", "registry.example.org/tools/debug:1.0.0", 2)}"""
CONFIG = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: limits, namespace: tools}
data:
  replicas: 3
"""
FLUX = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec:
  interval: 10m
  path: ./apps/production
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
"""

CASES = {
    "folders nothing names are read on their own, and their defects reported": Case(
        files={
            "examples/debug/namespace.yaml": namespace("tools", "privileged") + "---\n" + network_policies("tools"),
            "examples/debug/pod.yaml": POD,
            "examples/debug/config.yaml": CONFIG,
            "clusters/production/apps.yaml": FLUX,
        },
        reported={
            ("SEC-HOST-NAMESPACE", "examples/debug/pod.yaml", line_of(POD, "hostPID")),
            ("SCHEMA-INVALID", "examples/debug/config.yaml", line_of(CONFIG, "replicas")),
            ("SCHEMA-NO-SCHEMA", "clusters/production/apps.yaml", 1),
        },
        said={
            ("COVERAGE-UNREFERENCED", "examples/debug/config.yaml"),
            ("COVERAGE-UNREFERENCED", "clusters/production/apps.yaml"),
            ("COVERAGE-FLUX", "clusters/production/apps.yaml"),
        },
    ),
}

VLLM = deployment("vllm", "default", "registry.example.org/vllm:0.11.0")
MONITOR = """\
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {{name: dcgm-exporter, namespace: default}}
spec:
  selector:
    matchLabels: {{app: dcgm-exporter-{variant}}}
  endpoints:
    - port: metrics
"""
RULE = """\
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: gpu, namespace: default}
spec:
  groups:
    - name: gpu
      rules:
        - record: gpu_utilization
          expr: avg(DCGM_FI_DEV_GPU_UTIL)
"""
HPA = autoscaler("vllm", "default", "vllm", 1, 2)
CASES["an example's nested folders are one example; its alternative variants are not duplicates"] = Case(
    files={
        "AI/vllm/namespace.yaml": network_policies("default"),
        "AI/vllm/vllm.yaml": VLLM,
        "AI/vllm/hpa/hpa.yaml": HPA,
        "AI/vllm/hpa/monitor-generic.yaml": MONITOR.format(variant="generic"),
        "AI/vllm/hpa/monitor-gke.yaml": MONITOR.format(variant="gke"),
        "AI/vllm/hpa/rule.yaml": RULE,
        "AI/vllm/crds.yaml": "---\n".join(
            crd("monitoring.coreos.com", kind, plural)
            for kind, plural in (("ServiceMonitor", "servicemonitors"), ("PrometheusRule", "prometheusrules"))
        ),
    },
    said={("COVERAGE-UNREFERENCED", "AI/vllm/crds.yaml")},
)

CLAIM = '{"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "claim1", "namespace": "default"},'
CLAIM += ' "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}\n'
WRITER = deployment(
    "writer",
    "default",
    "registry.example.org/writer:1.0.0",
    extra_container="    volumeMounts:\n      - {name: data, mountPath: /data}\n",
    extra_pod="volumes:\n  - name: data\n    persistentVolumeClaim: {claimName: claim1}\n",
)
CASES["a JSON manifest beside the YAML ones is read as kubectl reads it"] = Case(
    files={
        "storage/policies.yaml": network_policies("default"),
        "storage/writer.yaml": WRITER,
        "storage/claim1.json": CLAIM,
    },
    said={("COVERAGE-UNREFERENCED", "storage/claim1.json")},
)
