"""`invoke validate --root` on repositories nobody here wrote, in the shapes public ones take: each ends with a
report and exit 0 or 1 (never 2, never a traceback), says what it could not check, and points at the file and
line a person edits."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPOSITORY, invoke

pytestmark = pytest.mark.integration
Tree = Callable[[dict[str, str | bytes]], Path]
ORIGIN = "https://gitlab.example.org/team/cluster.git"

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: server
          image: registry.example.org/{name}:1.2.3
"""
SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:
  selector: {{app: {name}}}
  ports:
    - port: 80
      targetPort: 8080
"""


def clone(write_tree: Tree, files: dict[str, str | bytes]) -> Path:
    """The files as another team's clone: a git work tree whose origin is ORIGIN."""
    root = write_tree(files)
    for command in (["init", "-q"], ["remote", "add", "origin", ORIGIN]):
        subprocess.run(["git", "-C", str(root), *command], check=True, capture_output=True)
    return root


def validate(root: Path, tmp_path: Path) -> tuple[int, list[dict[str, Any]]]:
    completed = invoke(REPOSITORY, "validate", "--root", str(root), "--format", "json", cache=tmp_path / "cache")
    assert completed.returncode in (0, 1), completed.stderr
    assert "Traceback" not in completed.stderr
    findings: list[dict[str, Any]] = json.loads(completed.stdout)
    for finding in findings:  # clean messages: no Python values leak into what a person reads
        assert "None" not in finding["message"] and "{'" not in finding["message"], finding
    return completed.returncode, findings


def rules(findings: list[dict[str, Any]], *wanted: str) -> set[tuple[str, str, int]]:
    return {(f["rule"], f["path"], f["line"]) for f in findings if f["rule"] in wanted}


def test_alternative_test_overlays_are_each_checked_on_their_own(write_tree: Tree, tmp_path: Path) -> None:
    base = DEPLOYMENT.format(name="frontend") + "---\n" + SERVICE.format(name="frontend")
    root = clone(
        write_tree,
        {
            "kustomize/base/kustomization.yaml": "resources: [frontend.yaml]\n",
            "kustomize/base/frontend.yaml": base,
            "kustomize/tests/native-grpc/kustomization.yaml": "resources: [../../base]\n",
            "kustomize/tests/no-loadgen/kustomization.yaml": "resources: [../../base]\n",
            "kustomize/tests/with-policies/kustomization.yaml": "resources: [../../base, deny.yaml]\n",
            "kustomize/tests/with-policies/deny.yaml": "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
            "metadata:\n  name: deny-all\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n",
            "release/kubernetes-manifests.yaml": base,
        },
    )
    code, findings = validate(root, tmp_path)
    assert code == 1
    assert rules(findings, "XREF-DUPLICATE-RESOURCE") == set()  # alternatives are never deployed together
    # The base's missing policies are not hidden by the one overlay that adds them; the release manifests, which
    # nothing names (they are for `kubectl apply -f`), are read on their own and lack them too.
    no_deny = {(f["path"], f["namespace"]) for f in findings if f["rule"] == "NETPOL-NO-DEFAULT-DENY"}
    assert no_deny == {("kustomize/base/frontend.yaml", ""), ("release/kubernetes-manifests.yaml", "")}
    assert ("COVERAGE-UNREFERENCED", "release/kubernetes-manifests.yaml", 1) in rules(findings, "COVERAGE-UNREFERENCED")


def test_flux_objects_and_unknown_kinds_are_said_not_skipped(write_tree: Tree, tmp_path: Path) -> None:
    release = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
  namespace: apps
spec:
  interval: 30m
  chart:
    spec:
      chart: podinfo
      version: 6.9.0
      sourceRef: {kind: HelmRepository, name: podinfo}
"""
    root = clone(
        write_tree,
        {
            "clusters/home/apps/kustomization.yaml": "resources: [podinfo.yaml]\n",
            "clusters/home/apps/podinfo.yaml": release,
        },
    )
    code, findings = validate(root, tmp_path)
    assert code == 0
    assert rules(findings, "COVERAGE-FLUX", "SCHEMA-NO-SCHEMA") == {
        ("COVERAGE-FLUX", "clusters/home/apps/podinfo.yaml", 8),
        ("SCHEMA-NO-SCHEMA", "clusters/home/apps/podinfo.yaml", 1),
    }
    assert "podinfo" in next(f["message"] for f in findings if f["rule"] == "COVERAGE-FLUX")


def test_an_application_of_a_helm_chart_in_the_repository_is_said(write_tree: Tree, tmp_path: Path) -> None:
    application = f"""\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  namespace: argocd
spec:
  project: default
  source:
    repoURL: {ORIGIN}
    targetRevision: main
    path: charts/web
  destination: {{server: https://kubernetes.default.svc, namespace: web}}
"""
    root = clone(
        write_tree,
        {
            "apps/kustomization.yaml": "resources: [web.yaml]\n",
            "apps/web.yaml": application,
            "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
            "charts/web/values.yaml": "replicas: 2\n",
            "charts/web/templates/deployment.yaml": "{{- if .Values.enabled }}\nkind: Deployment\n{{- end }}\n",
        },
    )
    _, findings = validate(root, tmp_path)
    assert rules(findings, "COVERAGE-HELM-CHART", "GITOPS-SOURCE-PATH", "GUARD-YAML-SYNTAX") == {
        ("COVERAGE-HELM-CHART", "apps/web.yaml", 11)
    }


def test_destination_namespace_applies_and_same_names_point_at_their_own_declaration(
    write_tree: Tree, tmp_path: Path
) -> None:
    def application(name: str, path: str, namespace: str) -> str:
        return (
            f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  namespace: argocd\n"
            f"spec:\n  project: default\n  source: {{repoURL: {ORIGIN}, targetRevision: main, path: {path}}}\n"
            f"  destination: {{server: https://kubernetes.default.svc, namespace: {namespace}}}\n"
        )

    two_namespaces = "apiVersion: v1\nkind: List\nitems:\n" + "".join(
        f"  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {{name: settings, namespace: {namespace}}}\n"
        f"    data: {{password: hunter2}}\n"
        for namespace in ("blue", "green")
    )
    root = clone(
        write_tree,
        {
            "root/kustomization.yaml": "resources: [apps.yaml]\n",
            "root/apps.yaml": application("one", "workloads", "shop") + "---\n" + application("two", "lists", "x"),
            "workloads/kustomization.yaml": "resources: [web.yaml]\n",
            "workloads/web.yaml": DEPLOYMENT.format(name="web"),
            "lists/kustomization.yaml": "resources: [settings.yaml]\n",
            "lists/settings.yaml": two_namespaces,
        },
    )
    _, findings = validate(root, tmp_path)
    placed = {(f["namespace"], f["name"]) for f in findings if f["kind"] == "Deployment"}
    assert placed == {("shop", "web")}  # the Application's destination namespace, not "default"
    secrets = {(f["namespace"], f["line"]) for f in findings if f["rule"] == "SECRET-IN-CONFIGMAP"}
    assert secrets == {("blue", 7), ("green", 11)}  # each List item at its own key


def test_a_kustomization_that_includes_itself_is_reported_not_dropped(write_tree: Tree, tmp_path: Path) -> None:
    root = clone(
        write_tree,
        {
            "deploy/overlay/kustomization.yaml": "resources:\n  - ../base\n  - .\n",
            "deploy/base/kustomization.yaml": "resources: [web.yaml]\n",
            "deploy/base/web.yaml": SERVICE.format(name="web"),
        },
    )
    code, findings = validate(root, tmp_path)
    assert code == 1
    assert rules(findings, "GUARD-KUSTOMIZATION-CYCLE", "RENDER-SKIPPED", "RENDER-FAILED") == {
        ("GUARD-KUSTOMIZATION-CYCLE", "deploy/overlay/kustomization.yaml", 3),
        ("RENDER-SKIPPED", "deploy/overlay/kustomization.yaml", 1),
    }


def test_valid_yaml_in_every_shape_renders(write_tree: Tree, tmp_path: Path) -> None:
    root = clone(
        write_tree,
        {
            "app/kustomization.yaml": "resources: [service.yaml]\nconfigMapGenerator:\n"
            "  - name: ci\n    files: [pipeline.yml]\n",
            "app/service.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: &n web\n  labels: {app: *n}\n"
            "spec:\n  selector: {app: &n other}\n  ports: [{port: 80, name: *n}]\n",
            "app/pipeline.yml": ".setup:\n  script: [make]\ntest:\n  script: !reference [.setup, script]\n",
            "data/anchors.yaml": "defaults: &defaults\n  retries: 3\nservice: *defaults\n",
        },
    )
    _, findings = validate(root, tmp_path)
    assert rules(findings, "GUARD-YAML-SYNTAX", "RENDER-FAILED", "RENDER-SKIPPED", "GATE-CHECK-FAILED") == set()
    assert any(f["kind"] == "Service" and f["name"] == "web" for f in findings)  # it rendered and was checked


def test_an_empty_root_says_nothing_was_checked(write_tree: Tree, tmp_path: Path) -> None:
    root = clone(write_tree, {"README.md": "nothing here\n"})
    code, findings = validate(root, tmp_path)
    assert code == 0
    assert rules(findings, "COVERAGE-NOTHING-RENDERED") == {("COVERAGE-NOTHING-RENDERED", ".", 1)}


def test_security_findings_point_at_the_offending_field(write_tree: Tree, tmp_path: Path) -> None:
    web = DEPLOYMENT.format(name="web").replace(
        "    spec:\n      containers:",
        "    spec:\n      securityContext:\n        runAsNonRoot: true\n        runAsUser: 1000\n"
        "        seccompProfile: {type: RuntimeDefault}\n      containers:",
    ) + (
        "          securityContext:\n"
        "            allowPrivilegeEscalation: true\n"
        "            readOnlyRootFilesystem: false\n"
        "            capabilities: {drop: [ALL]}\n"
        "            seccompProfile:\n"
        "              type: Unconfined\n"
    )
    root = clone(write_tree, {"app/kustomization.yaml": "resources: [web.yaml]\n", "app/web.yaml": web})
    _, findings = validate(root, tmp_path)
    lines = web.splitlines()
    located = {f["rule"]: lines[f["line"] - 1].strip() for f in findings if f["rule"].startswith("SEC-")}
    assert located == {
        "SEC-PRIVILEGE-ESCALATION": "allowPrivilegeEscalation: true",
        "SEC-WRITABLE-ROOT-FS": "readOnlyRootFilesystem: false",
        "SEC-SECCOMP": "type: Unconfined",
    }
