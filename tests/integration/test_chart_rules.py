"""Every chart rule with a failing and a passing fixture: a small site whose Application installs a small chart
of our own, vendored and locked, rendered by the real engine inside the real gate."""

from __future__ import annotations

import hashlib
import json
import sys
import textwrap
from pathlib import Path

import helm_python
import pytest

from gitops_toolkit.core.versions import KUBERNETES_VERSION
from gitops_toolkit.gate.pipeline import GateOptions, GateResult, run_gate
from gitops_toolkit.render.charts.render_cache import calls_varying_function
from tests.charts import write_chart
from tests.conftest import gate

REPOSITORY_URL = "https://git.example/site.git"
CHART_REPOSITORY = "https://charts.example/stable"

_APPLICATION = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
  namespace: argocd
spec:
  project: default
  sources:
    - repoURL: {chart_repository}
      chart: demo
      targetRevision: {version}
      helm:
        releaseName: {release}
        valueFiles:
          - $values/gitops-repo/values/{name}-values.yaml
    - repoURL: {repository}
      targetRevision: main
      ref: values
  destination:
    server: https://kubernetes.default.svc
    namespace: {namespace}
"""


def chart_site(
    root: Path,
    templates: dict[str, str],
    defaults: str = "",
    values: str = "",
    *,
    schema: str = "",
    applications: tuple[tuple[str, str], ...] = (("demo", "demo"),),
    namespace: str = "demo",
    pinned_version: str = "1.0.0",
    files: dict[str, str] | None = None,
) -> Path:
    """A repository with chart demo 1.0.0 vendored and locked, and one Application per (name, release name)."""
    source = write_chart(root / "chart-source", "demo", "1.0.0", templates, defaults)
    if schema:
        (source / "values.schema.json").write_text(schema, encoding="utf-8")
    archive = Path(helm_python.package(source, destination=root / "gitops-repo" / "charts"))
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    tree = {
        "pyproject.toml": f'[tool.gitops-toolkit.gate]\nrepository-url = "{REPOSITORY_URL}"\n',
        "gitops-repo/charts.lock.yaml": (
            f"charts:\n  - name: demo\n    version: 1.0.0\n    repository: {CHART_REPOSITORY}\n    sha256: {digest}\n"
        ),
        "gitops-repo/root/kustomization.yaml": "resources:\n"
        + "".join(f"  - {name}.yaml\n" for name, _ in applications),
        **{
            f"gitops-repo/root/{name}.yaml": _APPLICATION.format(
                name=name,
                release=release,
                chart_repository=CHART_REPOSITORY,
                version=pinned_version,
                repository=REPOSITORY_URL,
                namespace=namespace,
            )
            for name, release in applications
        },
        **{f"gitops-repo/values/{name}-values.yaml": values or "{}\n" for name, _ in applications},
        **(files or {}),
    }
    for relative, content in tree.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content), encoding="utf-8")
    (root / ".git").mkdir(exist_ok=True)
    return root


def found(result: GateResult, rule: str) -> list[str]:
    return [f"{finding.path}:{finding.line}: {finding.message}" for finding in result.findings if finding.rule == rule]


_CONFIG_MAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
data:
  replicas: {{ .Values.replicaCount | quote }}
"""


@pytest.mark.parametrize(
    ("template", "values", "failing"),
    [
        ("password: {{ randAlphaNum 12 | quote }}", "", True),
        ("password: {{ .Values.password | quote }}", "password: fixed\n", False),
    ],
)
def test_output_that_changes_between_renders(tmp_path: Path, template: str, values: str, failing: bool) -> None:
    secret = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: login\ndata:\n  {template}\n"
    result = gate(chart_site(tmp_path, {"login.yaml": secret}, 'password: ""\n', values))
    reported = found(result, "RENDER-NONDETERMINISTIC")
    assert bool(reported) is failing, result.findings
    if failing:
        assert reported[0].startswith("gitops-repo/root/demo.yaml:") and "demo/templates/login.yaml" in reported[0]


_VARYING_CALLS = (
    "randAlphaNum 8",
    "randAlpha 8",
    "randNumeric 4",
    "randAscii 4",
    "randBytes 4",
    "randInt 1 9",
    "uuidv4",
    "now",
    'now | date "2006-01-02"',
    'dateInZone "2006" now "UTC"',
    'htpasswd "user" "pass"',
    'bcrypt "pass"',
    "shuffle .Values.word",
    'encryptAES "key" "text"',
    'genCA "ca" 365',
    'genCAWithKey "ca" 365 $key',
    'genPrivateKey "rsa"',
    'genSelfSignedCert "web" nil nil 365',
    'genSelfSignedCertWithKey "web" nil nil 365 $key',
    'genSignedCert "web" nil nil 365 $ca',
    'genSignedCertWithKey "web" nil nil 365 $ca $key',
)


@pytest.mark.parametrize(
    ("template", "varies"),
    [
        *((f"{{{{ {call} }}}}", True) for call in _VARYING_CALLS),
        ("{{ .Values.generation }} {{ .Values.random | default 1 }} {{ .Values.updated }}", False),
        ("updated: now, in the text outside any action", False),
    ],
)
def test_which_templates_call_a_function_whose_result_changes_between_renders(template: str, varies: bool) -> None:
    # What decides whether a chart is rendered twice (a template Helm's engine renders identically is rendered once).
    assert calls_varying_function(f"kind: ConfigMap\ndata:\n  value: {template}\n") is varies


@pytest.mark.parametrize(("key", "failing"), [("replicaCont", True), ("replicaCount", False)])
def test_a_values_key_the_chart_does_not_have(tmp_path: Path, key: str, failing: bool) -> None:
    values = f"# replicas\n{key}: 2\nextra:\n  anything: goes\n"
    result = gate(chart_site(tmp_path, {"cm.yaml": _CONFIG_MAP}, "replicaCount: 1\nextra: {}\n", values))
    reported = found(result, "CHART-VALUES-UNKNOWN-KEY")
    assert bool(reported) is failing, result.findings
    if failing:
        assert reported == [
            "gitops-repo/values/demo-values.yaml:2: `replicaCont` is not a value of chart demo 1.0.0, so Helm "
            "ignores it: did you mean `replicaCount`? (a map the chart reads whole goes in free-form-values as "
            "`demo:`)"
        ]


@pytest.mark.parametrize(("key", "failing"), [("useExistingRole", False), ("useExistingRoles", True)])
def test_a_key_a_template_reads_without_a_default_is_known(tmp_path: Path, key: str, failing: bool) -> None:
    # Charts document optional keys as comments in values.yaml (grafana's rbac.useExistingRole); Helm reads them.
    template = _CONFIG_MAP + '  role: {{ .Values.rbac.useExistingRole | default "own" | quote }}\n'
    defaults = "replicaCount: 1\nrbac:\n  create: true\n  # useExistingRole: name\n"
    result = gate(chart_site(tmp_path, {"cm.yaml": template}, defaults, f"rbac:\n  {key}: mine\n"))
    assert [line.split(": ", 1)[1][:41] for line in found(result, "CHART-VALUES-UNKNOWN-KEY")] == (
        ["`rbac.useExistingRoles` is not a value of"] if failing else []
    )


@pytest.mark.parametrize(("key", "failing"), [("resources", False), ("resourcez", True)])
def test_a_map_a_template_writes_out_whole_takes_any_key(tmp_path: Path, key: str, failing: bool) -> None:
    # `with .Values.resources` then `toYaml .`: limits reach the manifest although the defaults hold requests only
    template = _CONFIG_MAP + "  {{- with .Values.resources }}\n  resources: {{ toYaml . | quote }}\n  {{- end }}\n"
    defaults = "replicaCount: 1\nresources:\n  requests: {cpu: 10m}\nresourcez:\n  requests: {cpu: 10m}\n"
    result = gate(chart_site(tmp_path, {"cm.yaml": template}, defaults, f"{key}:\n  limits: {{memory: 64Mi}}\n"))
    assert [line.split("`")[1] for line in found(result, "CHART-VALUES-UNKNOWN-KEY")] == (
        ["resourcez.limits"] if failing else []
    )


@pytest.mark.parametrize(("key", "failing"), [("labels", False), ("labelz", True)])
def test_a_map_written_out_whole_inside_a_with_block_takes_any_key(tmp_path: Path, key: str, failing: bool) -> None:
    # `toYaml $.Values.labels` inside `with .Values.resources` ... `toYaml .`: both maps reach the manifest
    template = _CONFIG_MAP + (
        "  {{- with .Values.resources }}\n  labels: {{ toYaml $.Values.labels | quote }}\n"
        "  resources: {{ toYaml . | quote }}\n  {{- end }}\n"
    )
    defaults = "replicaCount: 1\nresources: {}\nlabels:\n  app: x\nlabelz:\n  app: x\n"
    result = gate(chart_site(tmp_path, {"cm.yaml": template}, defaults, f"{key}:\n  team: shop\n"))
    assert [line.split("`")[1] for line in found(result, "CHART-VALUES-UNKNOWN-KEY")] == (
        ["labelz.team"] if failing else []
    )


@pytest.mark.parametrize(("value", "failing"), [('"two"', True), ("2", False)])
def test_values_checked_against_the_chart_schema(tmp_path: Path, value: str, failing: bool) -> None:
    schema = '{"type": "object", "properties": {"replicaCount": {"type": "integer"}}}'
    site = chart_site(
        tmp_path, {"cm.yaml": _CONFIG_MAP}, "replicaCount: 1\n", f"replicaCount: {value}\n", schema=schema
    )
    reported = found(gate(site), "CHART-VALUES-SCHEMA")
    assert bool(reported) is failing
    if failing:
        assert reported[0].startswith("gitops-repo/values/demo-values.yaml:1: ") and "/replicaCount" in reported[0]


@pytest.mark.parametrize(("files", "failing"), [({"gitops-repo/values/old-values.yaml": "a: 1\n"}, True), ({}, False)])
def test_a_values_file_no_application_uses(tmp_path: Path, files: dict[str, str], failing: bool) -> None:
    result = gate(chart_site(tmp_path, {"cm.yaml": _CONFIG_MAP}, "replicaCount: 1\n", files=files))
    assert [f.path for f in result.findings if f.rule == "CHART-VALUES-UNUSED"] == (
        ["gitops-repo/values/old-values.yaml"] if failing else []
    )


@pytest.mark.parametrize(("version", "failing"), [("1.0.1", True), ("1.0.0", False)])
def test_a_chart_version_the_lock_does_not_pin(tmp_path: Path, version: str, failing: bool) -> None:
    result = gate(chart_site(tmp_path, {"cm.yaml": _CONFIG_MAP}, "replicaCount: 1\n", pinned_version=version))
    assert bool(found(result, "CHART-NOT-LOCKED")) is failing
    assert any(r.kind == "ConfigMap" and r.ref.name == "demo-settings" for r in result.resources) is not failing


def test_an_archive_that_differs_from_the_lock_is_not_rendered(tmp_path: Path) -> None:
    site = chart_site(tmp_path, {"cm.yaml": _CONFIG_MAP}, "replicaCount: 1\n")
    archive = site / "gitops-repo" / "charts" / "demo-1.0.0.tgz"
    archive.write_bytes(archive.read_bytes() + b"\0")
    result = gate(site)
    assert [f.path for f in result.findings if f.rule == "CHART-LOCK-MISMATCH"] == ["gitops-repo/charts/demo-1.0.0.tgz"]
    assert not any(r.kind == "ConfigMap" for r in result.resources)


def test_a_chart_that_fails_to_render_names_its_template(tmp_path: Path) -> None:
    broken = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ required "set a" .Values.a }}\n'
    reported = found(gate(chart_site(tmp_path, {"broken.yaml": broken})), "CHART-RENDER-FAILED")
    assert len(reported) == 1 and "set a" in reported[0] and "broken.yaml" in reported[0]


@pytest.mark.parametrize(("releases", "failing"), [(("same", "same"), True), (("one", "two"), False)])
def test_one_object_owned_by_two_applications(tmp_path: Path, releases: tuple[str, str], failing: bool) -> None:
    site = chart_site(
        tmp_path,
        {"cm.yaml": _CONFIG_MAP},
        "replicaCount: 1\n",
        applications=(("first", releases[0]), ("second", releases[1])),
    )
    reported = found(gate(site), "GITOPS-SHARED-RESOURCE")
    assert bool(reported) is failing
    if failing:
        assert (
            reported[0].startswith("gitops-repo/root/second.yaml:") and "Applications first and second" in reported[0]
        )


_CONTROL_PLANE_SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: etcd-metrics
spec:
  clusterIP: None
  selector:
    component: etcd
  ports:
    - name: metrics
      port: 2381
"""
_KUBEADM_OPENS_ETCD = """\
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
etcd:
  local:
    extraArgs:
      - name: listen-metrics-urls
        value: http://0.0.0.0:2381
"""


_KUBEADM_AS_IT_COMES = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nclusterName: lab\n"


@pytest.mark.parametrize(
    ("files", "failing"),
    [
        ({"platform/kubeadm.yaml": _KUBEADM_AS_IT_COMES}, True),  # kubeadm's default: metrics on 127.0.0.1
        ({"platform/kubeadm.yaml": _KUBEADM_OPENS_ETCD}, False),
        ({}, False),  # no kubeadm configuration in the repository: how its cluster binds them is not claimed
    ],
)
def test_a_scrape_target_kubeadm_binds_to_loopback(tmp_path: Path, files: dict[str, str], failing: bool) -> None:
    site = chart_site(tmp_path, {"svc.yaml": _CONTROL_PLANE_SERVICE}, namespace="kube-system", files=files)
    reported = found(gate(site), "OBS-SCRAPE-UNREACHABLE")
    assert bool(reported) is failing
    if failing:
        assert "etcd on port 2381" in reported[0] and "listen-metrics-urls" in reported[0]


_COLLECTOR = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: collector
data:
  config.alloy: |
    discovery.kubernetes "pods" {
      role = "pod"
    }
    loki.source.kubernetes "pods" {
      targets    = discovery.kubernetes.pods.targets
      forward_to = []
{{- if .Values.clustering }}
      clustering {
        enabled = true
      }
{{- end }}
    }
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: collector
spec:
  selector:
    matchLabels: {app: collector}
  template:
    metadata:
      labels: {app: collector}
    spec:
      containers:
        - name: alloy
          image: docker.io/grafana/alloy:v1.18.1
      volumes:
        - name: config
          configMap:
            name: collector
"""


@pytest.mark.parametrize(("clustering", "failing"), [("false", True), ("true", False)])
def test_a_daemonset_collecting_cluster_wide(tmp_path: Path, clustering: str, failing: bool) -> None:
    site = chart_site(tmp_path, {"collector.yaml": _COLLECTOR}, "clustering: false\n", f"clustering: {clustering}\n")
    reported = found(gate(site), "OBS-COLLECTOR-DUPLICATED")
    assert bool(reported) is failing
    if failing:
        assert "loki.source.kubernetes" in reported[0] and reported[0].startswith("gitops-repo/root/demo.yaml:")


_TRIGGERS = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-notifications-cm
data:
  trigger.on-sync-failed: |
    - when: app.status.operationState.phase in ['Failed']
      oncePer: {{ .Values.oncePer }}
      send: [alert]
"""


@pytest.mark.parametrize(
    ("once_per", "failing"),
    [("app.status.sync.revision", True), ("app.status.operationState?.finishedAt", False)],
)
def test_a_notification_trigger_whose_once_per_is_empty(tmp_path: Path, once_per: str, failing: bool) -> None:
    site = chart_site(tmp_path, {"cm.yaml": _TRIGGERS}, "oncePer: x\n", f'oncePer: "{once_per}"\n')
    reported = found(gate(site), "GITOPS-NOTIFICATION-ONCE-PER")
    assert bool(reported) is failing
    if failing:
        assert "trigger.on-sync-failed" in reported[0] and "demo" in reported[0]


_MONITORING = """\
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ .Values.monitored }}
spec:
  selector:
    matchLabels: {app: {{ .Values.monitored }}}
  endpoints:
    - port: metrics
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: shop
spec:
  groups:
    - name: shop
      rules:
        - alert: ShopErrors
          expr: rate(shop_requests_failed_total[5m]) > 1  # shop_ comes from the shop's exporter
          for: 5m
"""


@pytest.mark.parametrize(("monitored", "failing"), [("billing", True), ("shop", False)])
def test_an_alert_on_metrics_nothing_scrapes(tmp_path: Path, monitored: str, failing: bool) -> None:
    site = chart_site(tmp_path, {"monitoring.yaml": _MONITORING}, "monitored: x\n", f"monitored: {monitored}\n")
    reported = found(gate(site), "OBS-METRIC-UNSCRAPED")
    assert bool(reported) is failing
    if failing:
        assert "alert ShopErrors needs shop_requests_failed_total" in reported[0]


# Which test above plants each rule's defect in a chart (and its passing twin).
PLANTED_IN_CHARTS = {
    "GITOPS-SHARED-RESOURCE": test_one_object_owned_by_two_applications,
    "GITOPS-NOTIFICATION-ONCE-PER": test_a_notification_trigger_whose_once_per_is_empty,
    "OBS-METRIC-UNSCRAPED": test_an_alert_on_metrics_nothing_scrapes,
    "OBS-SCRAPE-UNREACHABLE": test_a_scrape_target_kubeadm_binds_to_loopback,
    "OBS-COLLECTOR-DUPLICATED": test_a_daemonset_collecting_cluster_wide,
}


_FAKE_HELM = """#!{python}
# Stands in for a helm binary: `helm template` through Helm's own engine, printed as helm prints it.
import json, sys
import helm_python
import yaml

arguments = sys.argv[1:]
with open({record!r}, "a") as record:
    record.write(json.dumps(arguments) + "\\n")
assert arguments[0] == "template", arguments
release, archive = arguments[1], arguments[2]
options = dict(zip(arguments[3::2], arguments[4::2]))
values = yaml.safe_load(open(options["--values"]))
with helm_python.Chart.load(archive) as chart:
    rendered = chart.render(values, name=release, namespace=options["--namespace"])
for name, text in sorted(rendered.items()):
    if text.strip() and not name.endswith("NOTES.txt"):
        print("---\\n# Source: " + name + "\\n" + text)
"""


def test_a_helm_binary_the_user_points_at_renders_instead(tmp_path: Path) -> None:
    record = tmp_path / "calls.jsonl"
    helm = tmp_path / "bin" / "helm"
    helm.parent.mkdir()
    helm.write_text(_FAKE_HELM.format(python=sys.executable, record=str(record)), encoding="utf-8")
    helm.chmod(0o755)
    site = chart_site(tmp_path / "site", {"cm.yaml": _CONFIG_MAP}, "replicaCount: 1\n", "replicaCount: 3\n")
    result = run_gate(GateOptions(root=site, helm_binary=helm))
    [config_map] = [r for r in result.resources if r.kind == "ConfigMap"]
    assert (config_map.ref.namespace, config_map.ref.name, config_map.obj["data"]) == (
        "demo",
        "demo-settings",
        {"replicas": "3"},
    )
    [call] = [json.loads(line) for line in record.read_text().splitlines()]
    assert call[:2] == ["template", "demo"] and call[call.index("--kube-version") + 1] == KUBERNETES_VERSION
    assert "--include-crds" in call
