"""What the API server refuses beyond types: a clean manifest passes, and each planted defect is reported
at its own line with its rule."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_toolkit.core.quantities import quantity
from tests.conftest import gate

Tree = Callable[[dict[str, str | bytes]], Path]
MANIFESTS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app.kubernetes.io/name: web}
  annotations: {example.org/owner: shop-team}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      volumes:
        - name: tmp
          emptyDir: {}
      containers:
        - name: web
          image: registry.example.org/web:1.0.0
          ports:
            - name: http
              containerPort: 8080
          resources:
            requests: {cpu: 250m, memory: 64Mi}
            limits: {memory: 128Mi}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
    - name: http
      port: 80
      targetPort: http
    - name: metrics
      port: 9090
      targetPort: 9090
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
spec:
  schedule: "*/15 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: report
              image: registry.example.org/report:1.0.0
"""

PLANTED = {
    "name that is not a DNS subdomain": (
        "  name: web\n  labels",
        "  name: Web_App\n  labels",
        "API-NAME",
        "name: Web_App",
    ),
    "Service name starting with a digit": (
        "kind: Service\nmetadata:\n  name: web",
        "kind: Service\nmetadata:\n  name: 1web",
        "API-NAME",
        "name: 1web",
    ),
    "CronJob name over 52 characters": ("  name: report", "  name: " + "r" * 53, "API-NAME", "name: " + "r" * 53),
    "container name with capitals": ("        - name: web\n", "        - name: Web\n", "API-NAME", "- name: Web"),
    "label value too long": (
        "{app.kubernetes.io/name: web}",
        "{app.kubernetes.io/name: " + "w" * 64 + "}",
        "API-LABEL",
        "labels: {app.kubernetes.io/name: " + "w" * 64 + "}",
    ),
    "label key with a bad prefix": (
        "{app.kubernetes.io/name: web}",
        "{App_Team/name: web}",
        "API-LABEL",
        "labels: {App_Team/name: web}",
    ),
    "annotation key with spaces": (
        "{example.org/owner: shop-team}",
        "{owner team: shop-team}",
        "API-ANNOTATION",
        "annotations: {owner team: shop-team}",
    ),
    "quantity that does not parse": (
        "{cpu: 250m, memory: 64Mi}",
        "{cpu: 250m, memory: 64MB}",
        "API-QUANTITY",
        "requests: {cpu: 250m, memory: 64MB}",
    ),
    "request above its limit": (
        "{cpu: 250m, memory: 64Mi}",
        "{cpu: 250m, memory: 1Gi}",
        "API-QUANTITY",
        "requests: {cpu: 250m, memory: 1Gi}",
    ),
    "port name over 15 characters": (
        "            - name: http\n",
        "            - name: http-for-the-web\n",
        "API-PORT",
        "- name: http-for-the-web",
    ),
    "duplicate Service port": ("      port: 9090", "      port: 80", "API-PORT", "port: 80"),
    "unnamed port in a multi-port Service": (
        "    - name: metrics\n      port: 9090",
        "    - port: 9090",
        "API-PORT",
        "- port: 9090",
    ),
    "selector that does not select its pods": (
        "matchLabels: {app: web}",
        "matchLabels: {app: website}",
        "API-SELECTOR",
        "selector:",
    ),
    "mount of a volume the pod lacks": (
        "            - name: tmp\n              mountPath",
        "            - name: scratch\n              mountPath",
        "API-DUPLICATE",
        "- name: scratch",
    ),
    "duplicate volume": (
        "      volumes:\n        - name: tmp\n          emptyDir: {}\n",
        "      volumes:\n        - name: tmp\n          emptyDir: {}\n        - name: tmp\n          emptyDir: {}\n",
        "API-DUPLICATE",
        "- name: tmp",
    ),
    "cron schedule with six fields": ('"*/15 * * * *"', '"0 */15 * * * *"', "API-CRON", 'schedule: "0 */15 * * * *"'),
    "cron schedule with a time zone": (
        '"*/15 * * * *"',
        '"CRON_TZ=UTC */15 * * * *"',
        "API-CRON",
        'schedule: "CRON_TZ=UTC */15 * * * *"',
    ),
}


def api_findings(write_tree: Tree, manifests: str) -> list[tuple[str, str]]:
    root = write_tree(
        {"gitops-repo/app/kustomization.yaml": "resources: [app.yaml]\n", "gitops-repo/app/app.yaml": manifests}
    )
    lines = manifests.splitlines()
    return [(f.rule, lines[f.line - 1].strip()) for f in gate(root).findings if f.rule.startswith(("API-", "SCHEMA-"))]


def test_the_clean_manifests_pass(write_tree: Tree) -> None:
    assert api_findings(write_tree, MANIFESTS) == []


@pytest.mark.parametrize("defect", PLANTED)
def test_each_defect_is_reported_at_its_line(write_tree: Tree, defect: str) -> None:
    old, new, rule, line = PLANTED[defect]
    assert old in MANIFESTS
    assert api_findings(write_tree, MANIFESTS.replace(old, new, 1)) == [(rule, line)]


@pytest.mark.parametrize(
    ("text", "value"),
    [("250m", "0.250"), ("1Gi", str(2**30)), ("1500m", "1.5"), ("1e3", "1000"), ("2k", "2000"), (3, "3")],
)
def test_quantities_parse_as_the_api_server_reads_them(text: object, value: str) -> None:
    parsed = quantity(text)
    assert parsed is not None and parsed == quantity(value)


@pytest.mark.parametrize("text", ["64MB", "1 Gi", "", "Gi", "1.2.3", "--1", True])
def test_malformed_quantities_are_refused(text: object) -> None:
    assert quantity(text) is None
