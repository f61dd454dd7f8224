"""In the shape of fluxcd/flux2-kustomize-helm-example: Flux, not Argo CD, deploys these kustomizations, so
Argo CD's rules (prune protection, sync options) do not apply; Flux's own prune annotation is what protects."""

from __future__ import annotations

from tests.corpus.shapes import Case, namespace, network_policies

STORAGE = """\
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: cache
  namespace: monitoring
  annotations:
    kustomize.toolkit.fluxcd.io/prune: disabled
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests: {storage: 1Gi}
"""

CASES = {
    "Argo CD's prune protection is not asked of what Flux deploys": Case(
        files={
            "infrastructure/monitoring/kustomization.yaml": "resources: [namespace.yaml, policies.yaml, storage.yaml]",
            "infrastructure/monitoring/namespace.yaml": namespace("monitoring").replace(
                "  labels:", "  annotations:\n    kustomize.toolkit.fluxcd.io/prune: disabled\n  labels:"
            ),
            "infrastructure/monitoring/policies.yaml": network_policies("monitoring"),
            "infrastructure/monitoring/storage.yaml": STORAGE,
        },
    ),
}
