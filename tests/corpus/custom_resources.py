"""In the shape of kube-prometheus' generated manifests: custom resources carry `null` in fields their CRD does
not declare nullable, which the API server prunes before it validates (PruneNonNullableNullsWithoutDefaults);
a field of the wrong type is still refused."""

from __future__ import annotations

from tests.corpus.shapes import Case, line_of

CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: probes.monitoring.example.org}
spec:
  group: monitoring.example.org
  names: {kind: Probe, plural: probes, singular: probe, listKind: ProbeList}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                interval: {type: string}
                labels:
                  type: object
                  additionalProperties: {type: string}
                targets:
                  type: array
                  items:
                    type: object
                    properties:
                      url: {type: string}
                      module: {type: string}
                tlsConfig:
                  type: object
                  nullable: true
                  properties:
                    insecure: {type: boolean}
"""
PROBES = """\
apiVersion: monitoring.example.org/v1
kind: Probe
metadata: {name: blackbox, namespace: monitoring}
spec:
  interval: null
  labels: null
  tlsConfig: null
  targets:
    - url: https://shop.example.org
      module: null
---
apiVersion: monitoring.example.org/v1
kind: Probe
metadata: {name: typo, namespace: monitoring}
spec:
  interval: 30
"""

CASES = {
    "nulls the API server prunes are not errors; a wrong type still is": Case(
        files={"kustomization.yaml": "resources: [crd.yaml, probes.yaml]\n", "crd.yaml": CRD, "probes.yaml": PROBES},
        reported={("SCHEMA-INVALID", "probes.yaml", line_of(PROBES, "interval: 30"))},
    ),
}
