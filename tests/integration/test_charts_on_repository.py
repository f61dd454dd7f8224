"""The repository's own charts through the real gate: every chart an Application pins is rendered and checked;
each of the problems issue 10 found in chart output, planted back in a copy, is reported at its values file or
Application; and a misspelled key in any add-on's values file is an error naming it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from gitops_toolkit.locks.charts.pinned import pinned_charts
from gitops_toolkit.render.applications import CHART_ENTRY_PREFIX
from tests.conftest import REPOSITORY, gate
from tests.plants import Plant, both, replace

PLATFORM = "gitops-repo/platform"
ALLOY_VALUES = f"{PLATFORM}/alloy/values.yaml"


def test_every_pinned_chart_is_rendered_and_checked_clean() -> None:
    result = gate(REPOSITORY)
    assert [finding for finding in result.findings if finding.rule != "GATE-SUPPRESSED"] == []
    by_entry: dict[str, int] = {}
    for resource in result.resources:
        if resource.entry.startswith(CHART_ENTRY_PREFIX):
            by_entry[resource.entry] = by_entry.get(resource.entry, 0) + 1
    pinned = {(chart.name, chart.version) for chart in pinned_charts(REPOSITORY)}
    rendered = {tuple(entry.rsplit(": chart ", 1)[1].split(" ")) for entry in by_entry}
    assert rendered == pinned and all(count > 0 for count in by_entry.values())
    assert sum(by_entry.values()) > 250  # what the charts add to the ~220 kustomize resources


PROBLEMS: dict[str, tuple[Plant, str, str]] = {
    "Envoy Gateway's chart renders the Gateway API policy gateway-api-crds owns": (
        replace(f"{PLATFORM}/envoy-gateway/values.yaml", "crds:\n  enabled: false\n"),
        "GITOPS-SHARED-RESOURCE",
        f"{PLATFORM}/envoy-gateway/application.yaml",
    ),
    "Argo CD's controller metrics off": (
        replace(
            f"{PLATFORM}/argo-cd/values.yaml",
            "controller:\n  metrics:\n    enabled: true\n    serviceMonitor:\n      enabled: true\n",
            "controller:\n",
        ),
        "OBS-METRIC-UNSCRAPED",
        "observability/rules/argocd.yaml",
    ),
    "a notification oncePer on the sync revision": (
        replace(
            f"{PLATFORM}/argo-cd/values.yaml",
            "oncePer: app.status.operationState?.finishedAt",
            "oncePer: app.status.operationState.syncResult.revision",
        ),
        "GITOPS-NOTIFICATION-ONCE-PER",
        f"{PLATFORM}/argo-cd/application.yaml",
    ),
    "nothing scrapes the Envoy proxies": (
        replace("observability/kustomization.yaml", "  - monitors\n"),
        "OBS-METRIC-UNSCRAPED",
        "observability/rules/gateway.yaml",
    ),
    "etcd scraped on kubeadm's loopback address": (
        replace(
            "platform/templates/kubeadm-config.yaml",
            'value: "http://127.0.0.1:2381,http://{{ node_address }}:2381"',
            "value: http://127.0.0.1:2381",
        ),
        "OBS-SCRAPE-UNREACHABLE",
        f"{PLATFORM}/kube-prometheus-stack/application.yaml",
    ),
    "Grafana's admin password generated on every render": (
        replace(
            f"{PLATFORM}/kube-prometheus-stack/values.yaml",
            "  admin:\n    existingSecret: grafana-admin\n    userKey: admin-user\n    passwordKey: admin-password\n",
        ),
        "RENDER-NONDETERMINISTIC",
        f"{PLATFORM}/kube-prometheus-stack/application.yaml",
    ),
    "Alloy on every node without clustering": (
        lambda root: [
            replace(f"{PLATFORM}/alloy/values.yaml", "  type: deployment\n  replicas: 2\n", "  type: daemonset\n")(
                root
            ),
            replace(f"{PLATFORM}/alloy/values.yaml", "        clustering {\n          enabled = true\n        }\n")(
                root
            ),
        ],
        "OBS-COLLECTOR-DUPLICATED",
        f"{PLATFORM}/alloy/application.yaml",
    ),
    "Grafana's sidecars reading Secrets in every namespace": (
        both(  # the values as they were: the chart's ClusterRole, dashboards searched in every namespace
            replace(
                f"{PLATFORM}/kube-prometheus-stack/values.yaml",
                "  rbac:\n    namespaced: true\n    useExistingRole: grafana-sidecar-configmaps\n",
            ),
            replace(
                f"{PLATFORM}/kube-prometheus-stack/values.yaml",
                "      resource: configmap\n    datasources:\n",
                "      searchNamespace: ALL\n    datasources:\n",
            ),
        ),
        "RBAC-SECRETS-CLUSTER-WIDE",
        f"{PLATFORM}/kube-prometheus-stack/values.yaml",
    ),
    "Loki's rules sidecar on": (
        replace(f"{PLATFORM}/loki/values.yaml", "sidecar:\n  rules:\n    enabled: false\n"),
        "RBAC-SECRETS-CLUSTER-WIDE",
        f"{PLATFORM}/loki/application.yaml",
    ),
    "sealed-secrets' service proxy bound to every signed-in user": (
        replace(f"{PLATFORM}/sealed-secrets/values.yaml", "    bind: false\n", "    bind: true\n"),
        "RBAC-ANONYMOUS",
        f"{PLATFORM}/sealed-secrets/application.yaml",
    ),
}


@pytest.mark.parametrize("problem", sorted(PROBLEMS))
def test_each_chart_problem_planted_back_is_reported(problem: str, repository_copy: Path) -> None:
    plant, rule, path = PROBLEMS[problem]
    plant(repository_copy)
    result = gate(repository_copy)
    assert (rule, path) in {(finding.rule, finding.path) for finding in result.findings}, result.findings


def _values_files() -> list[str]:
    """Every repository values file an Application hands to a chart."""
    files: set[str] = set()
    for path in sorted((REPOSITORY / PLATFORM).rglob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(document, dict) and document.get("kind") == "Application":
                spec = document.get("spec") or {}
                for source in [spec.get("source"), *(spec.get("sources") or [])]:
                    if isinstance(source, dict) and source.get("chart"):
                        files.update(
                            f.removeprefix("$values/") for f in (source.get("helm") or {}).get("valueFiles", [])
                        )
    return sorted(files)


@pytest.mark.parametrize("values_file", _values_files())
def test_a_misspelled_key_in_any_add_on_values_file_is_an_error(values_file: str, repository_copy: Path) -> None:
    target = repository_copy / values_file
    text = target.read_text(encoding="utf-8")
    key = next(iter(yaml.safe_load(text)))
    misspelled = key[:-1] + key[-1] * 2  # "deployment" -> "deploymentt"
    target.write_text(re.sub(rf"^{re.escape(key)}:", f"{misspelled}:", text, count=1, flags=re.MULTILINE))
    line = next(n for n, text_line in enumerate(text.splitlines(), 1) if text_line.startswith(f"{key}:"))
    reported = [
        finding
        for finding in gate(repository_copy).findings
        if finding.rule == "CHART-VALUES-UNKNOWN-KEY" and finding.path == values_file
    ]
    assert [(finding.line, f"`{misspelled}`" in finding.message) for finding in reported] == [(line, True)]
    assert f"did you mean `{key}`?" in reported[0].message


def test_broad_rbac_in_an_overlay_is_reported(repository_copy: Path) -> None:
    overlay = repository_copy / "gitops-repo/apps/online-boutique/overlays/dev"
    (overlay / "rbac.yaml").write_text(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: shop-everything\n"
        "rules:\n  - apiGroups: ['*']\n    resources: ['*']\n    verbs: [get]\n---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: shop-admin\n"
        "roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin\n"
        "subjects:\n  - kind: ServiceAccount\n    name: frontend\n    namespace: online-boutique-dev\n",
        encoding="utf-8",
    )
    replace(
        "gitops-repo/apps/online-boutique/overlays/dev/kustomization.yaml",
        "  - ../../base\n",
        "  - ../../base\n  - rbac.yaml\n",
    )(repository_copy)
    reported = {(f.rule, f.path, str(f.resource)) for f in gate(repository_copy).findings if f.rule.startswith("RBAC-")}
    where = "gitops-repo/apps/online-boutique/overlays/dev/rbac.yaml"
    assert reported == {
        ("RBAC-WILDCARD", where, "ClusterRole shop-everything"),
        ("RBAC-CLUSTER-ADMIN-BINDING", where, "ClusterRoleBinding shop-admin"),
        ("RBAC-SECRETS-CLUSTER-WIDE", where, "ClusterRoleBinding shop-admin"),
    }
