"""`invoke validate` as a person runs it: on this repository, and on copies with one planted defect."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gitops_toolkit.gate.report.formats import as_json
from tests.conftest import gate, invoke, invoke_validate, reported
from tests.plants import append, both, replace

pytestmark = pytest.mark.integration
APP = "gitops-repo/apps/online-boutique"


def test_the_repository_validates_clean() -> None:
    from tests.conftest import REPOSITORY

    completed = invoke_validate(REPOSITORY, "--format", "json")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert reported(json.loads(completed.stdout)) == []
    assert "0 error(s), 0 warning(s) in 12 entry point(s)" in completed.stderr


def outside_base(root: Path) -> None:
    outside = root.parent / "outside-base"
    outside.mkdir()
    (outside / "kustomization.yaml").write_text("resources: []\n", encoding="utf-8")
    kustomization = f"{APP}/overlays/prod/kustomization.yaml"
    replace(kustomization, "  - ../../base\n", "  - ../../base\n  - ../../../../../../outside-base\n")(root)


def escaping_symlink(root: Path) -> None:
    (root / APP / "base" / "passwd.yaml").symlink_to("/etc/passwd")


def latin1_byte(root: Path) -> None:
    path = root / APP / "base" / "cartservice.yaml"
    path.write_bytes(path.read_bytes().replace(b"# No PORT", b"# No P\xd6RT"))


ROUTE = f"{APP}/components/gateway-route/httproute.yaml"
METALLB_APP = "gitops-repo/platform/metallb/application.yaml"
BUDGETS = f"{APP}/components/autoscaling/pod-disruption-budgets.yaml"
BOMB = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\ndata:\n  a0: &a0 lol\n" + "".join(
    f"  a{n}: &a{n} [" + ",".join([f"*a{n - 1}"] * 9) + "]\n" for n in range(1, 9)
)

PLANTED = {
    "base outside the repository": (outside_base, "GUARD-PATH-ESCAPE", f"{APP}/overlays/prod/kustomization.yaml"),
    "symlink leaving the repository": (escaping_symlink, "GUARD-PATH-ESCAPE", f"{APP}/base/passwd.yaml"),
    "billion laughs": (append(f"{APP}/base/frontend.yaml", BOMB), "GUARD-YAML-ALIASES", f"{APP}/base/frontend.yaml"),
    "duplicate key": (
        replace(f"{APP}/base/adservice.yaml", "  name: adservice\n", "  name: adservice\n  name: ads\n"),
        "GUARD-YAML-DUPLICATE-KEY",
        f"{APP}/base/adservice.yaml",
    ),
    "non-UTF-8 file": (latin1_byte, "GUARD-NOT-UTF8", f"{APP}/base/cartservice.yaml"),
    "oversized file": (
        append(f"{APP}/base/shippingservice.yaml", "# " + "x" * (16 * 1024 * 1024) + "\n"),
        "GUARD-FILE-TOO-LARGE",
        f"{APP}/base/shippingservice.yaml",
    ),
    "missing file": (
        replace(f"{APP}/base/kustomization.yaml", "  - adservice.yaml\n", "  - adservce.yaml\n"),
        "GUARD-MISSING-FILE",
        f"{APP}/base/kustomization.yaml",
    ),
    "unknown field": (
        replace(
            f"{APP}/base/paymentservice.yaml",
            "          ports:\n",
            "          imagePullPolcy: Always\n          ports:\n",
        ),
        "SCHEMA-INVALID",
        f"{APP}/base/paymentservice.yaml",
    ),
    "wrong type in a custom resource": (replace(ROUTE, "port: 80", "port: eighty"), "SCHEMA-INVALID", ROUTE),
    "removed API version": (replace(BUDGETS, "policy/v1", "policy/v1beta1"), "SCHEMA-REMOVED-API", BUDGETS),
    "a kind its group's CRDs do not define": (
        replace(ROUTE, "kind: HTTPRoute", "kind: HTTPRoutes"),
        "SCHEMA-UNKNOWN-API",
        ROUTE,
    ),
    "a quantity the API server cannot parse": (
        replace(f"{APP}/base/frontend.yaml", "              memory: 64Mi\n", "              memory: 64MB\n"),
        "API-QUANTITY",
        f"{APP}/base/frontend.yaml",
    ),
    "a Service name that is not a DNS-1035 label": (
        replace(
            f"{APP}/base/adservice.yaml",
            "kind: Service\nmetadata:\n  name: adservice",
            "kind: Service\nmetadata:\n  name: ad_service",
        ),
        "API-NAME",
        f"{APP}/base/adservice.yaml",
    ),
    "a selector that does not select its own pods": (
        replace(
            f"{APP}/base/frontend.yaml",
            "    matchLabels:\n      app.kubernetes.io/name: frontend\n",
            "    matchLabels:\n      app.kubernetes.io/name: frontend-web\n",
        ),
        "API-SELECTOR",
        f"{APP}/base/frontend.yaml",
    ),
    "an Alertmanager route to a receiver that does not exist": (
        replace(
            "observability/alertmanager/values.yaml",
            "        - receiver: slack-critical\n",
            "        - receiver: slack-criticl\n",
        ),
        "OBS-ALERTMANAGER-CONFIG",
        "observability/alertmanager/values.yaml",
    ),
    "an Alertmanager setting amtool refuses": (
        replace("observability/alertmanager/values.yaml", "      group_wait: 30s\n", "      group_wait: 30 seconds\n"),
        "OBS-ALERTMANAGER-CONFIG",
        "observability/alertmanager/values.yaml",
    ),
    "a duplicate env variable a patch would merge away": (
        replace(
            f"{APP}/base/cartservice.yaml",
            "            - name: REDIS_ADDR\n              value: redis-cart:6379\n",
            "            - name: REDIS_ADDR\n              value: redis-cart:6379\n"
            "            - name: REDIS_ADDR\n              value: redis-cart:6380\n",
        ),
        "SOURCE-DUPLICATE",
        f"{APP}/base/cartservice.yaml",
    ),
    "a sync wave Argo CD reads as 0": (
        replace(METALLB_APP, 'sync-wave: "-5"', 'sync-wave: "-5.0"'),
        "GITOPS-SYNC-WAVE-VALUE",
        METALLB_APP,
    ),
    "a destination with both server and name": (
        replace(
            METALLB_APP,
            "    server: https://kubernetes.default.svc\n",
            "    server: https://kubernetes.default.svc\n    name: in-cluster\n",
        ),
        "GITOPS-DESTINATION-FORM",
        METALLB_APP,
    ),
    "a Helm parameter holding a password": (
        replace(
            METALLB_APP,
            "        releaseName: metallb\n",
            "        releaseName: metallb\n"
            "        parameters:\n          - {name: adminPassword, value: hunter2hunter2}\n",
        ),
        "SECRET-IN-APPLICATION",
        METALLB_APP,
    ),
    "a second default datasource written as a string": (
        replace(
            "gitops-repo/platform/kube-prometheus-stack/values.yaml",
            "      isDefault: false\n",
            '      isDefault: "true"\n',
        ),
        "OBS-DATASOURCE-DEFAULT",
        "gitops-repo/platform/kube-prometheus-stack/values.yaml",
    ),
    "two alerts with one name in one file": (
        replace(
            "observability/rules/workloads.yaml", "        - alert: PodNotReady\n", "        - alert: PodCrashLooping\n"
        ),
        "OBS-ALERT-CONVENTIONS",
        "observability/rules/workloads.yaml",
    ),
    "a committed .env file with a password": (
        lambda root: (root / "docs" / ".env").write_text("DB_PASSWORD=" + "hunter2" * 3 + "\n", encoding="utf-8"),
        "SECRET-IN-FILE",
        "docs/.env",
    ),
    "a NodePort Service": (
        replace(f"{APP}/base/adservice.yaml", "  type: ClusterIP\n", "  type: NodePort\n"),
        "SEC-SERVICE-TYPE",
        f"{APP}/base/adservice.yaml",
    ),
    "a percentage budget that allows no eviction at two replicas": (
        replace(
            BUDGETS,
            "  name: adservice\nspec:\n  maxUnavailable: 1\n",
            '  name: adservice\nspec:\n  minAvailable: "60%"\n',
        ),
        "XREF-PDB-BLOCKS-DRAIN",
        BUDGETS,
    ),
    "an overlay that includes itself": (
        replace(f"{APP}/overlays/dev/kustomization.yaml", "  - ../../base\n", "  - ../../base\n  - .\n"),
        "GUARD-KUSTOMIZATION-CYCLE",
        f"{APP}/overlays/dev/kustomization.yaml",
    ),
}

# YAML 1.2 that is valid as written, in files kustomize or Argo CD read and in data files nothing renders.
VALID = {
    "redefined anchors in a values file": both(
        replace(
            "gitops-repo/platform/metallb/values.yaml",
            "controller:\n",
            "controller:\n  nodeSelector: &shared {kubernetes.io/os: linux}\n",
        ),
        replace(
            "gitops-repo/platform/metallb/values.yaml",
            "speaker:\n",
            "speaker:\n  nodeSelector: *shared\n  podAnnotations: &shared {team: network}\n",
        ),
    ),
    "application tags in a CI file": lambda root: (root / "docs" / "ci-example.yml").write_text(
        ".setup:\n  script: [make]\ntest:\n  script: !reference [.setup, script]\n", encoding="utf-8"
    ),
    "an alias on the last line of a data file": lambda root: (root / APP / "examples" / "defaults.yaml").write_text(
        "defaults: &defaults\n  retries: 3\nservice: *defaults", encoding="utf-8"
    ),
    "a Helm template beside its chart": lambda root: write_files(
        root,
        {
            "gitops-repo/local-charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
            "gitops-repo/local-charts/web/templates/deployment.yaml": "{{- if .Values.enabled }}\nkind: Deployment\n",
        },
    ),
}


def write_files(root: Path, files: dict[str, str]) -> None:
    for relative, content in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(content, encoding="utf-8")


@pytest.mark.parametrize("case", VALID)
def test_valid_yaml_planted_in_a_copy_passes_with_no_finding(case: str, repository_copy: Path) -> None:
    VALID[case](repository_copy)
    completed = invoke_validate(repository_copy, "--format", "json", timeout=60)
    assert (completed.returncode, reported(json.loads(completed.stdout))) == (0, []), completed.stdout


@pytest.mark.parametrize("defect", PLANTED)
def test_a_planted_defect_fails_the_gate_naming_the_file(defect: str, repository_copy: Path) -> None:
    plant, rule, path = PLANTED[defect]
    plant(repository_copy)
    completed = invoke_validate(repository_copy, "--format", "json", timeout=60)
    assert completed.returncode == 1, completed.stderr
    assert "Traceback" not in completed.stderr
    findings = json.loads(completed.stdout)
    assert any(f["rule"] == rule and f["path"] == path for f in findings), findings


def test_a_custom_resource_without_schema_warns_but_passes(repository_copy: Path) -> None:
    example = repository_copy / APP / "examples" / "widget"
    example.mkdir()
    (example / "kustomization.yaml").write_text("resources:\n  - widget.yaml\n", encoding="utf-8")
    (example / "widget.yaml").write_text(
        "apiVersion: widgets.example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: demo\n",
        encoding="utf-8",
    )
    completed = invoke_validate(repository_copy, "--format", "json")
    assert completed.returncode == 0
    found = {(f["rule"], f["kind"], f["path"]) for f in reported(json.loads(completed.stdout))}
    assert found == {("SCHEMA-NO-SCHEMA", "Widget", f"{APP}/examples/widget/widget.yaml")}


def test_text_report_names_file_line_rule_and_resource(repository_copy: Path) -> None:
    PLANTED["unknown field"][0](repository_copy)
    completed = invoke_validate(repository_copy)
    lines = [line for line in completed.stdout.splitlines() if "online-boutique/paymentservice" in line]
    assert lines[0].startswith(f"{APP}/base/paymentservice.yaml:50: SCHEMA-INVALID error unknown field ")
    assert lines[0].endswith("[Deployment online-boutique/paymentservice]")


def test_junit_report_is_written_to_the_output_file(repository_copy: Path, tmp_path: Path) -> None:
    PLANTED["unknown field"][0](repository_copy)
    report = tmp_path / "reports" / "gate.xml"
    completed = invoke_validate(repository_copy, "--format", "junit", "--output", str(report))
    assert completed.returncode == 1
    assert completed.stdout == ""
    assert '<failure message="unknown field' in report.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        (["--format", "xml"], "unknown --format 'xml'"),
        (["--crd-dir", "/nonexistent/crds"], "--crd-dir /nonexistent/crds: no such directory"),
        (["--root", "/"], "/ is not a repository: it has no .git, gitops-repo or observability"),
    ],
)
def test_the_tool_that_cannot_run_exits_2_with_one_line(
    repository_copy: Path, arguments: list[str], reason: str
) -> None:
    completed = invoke_validate(repository_copy, *arguments)
    assert completed.returncode == 2
    assert completed.stderr.strip().splitlines() == [f"validate: {completed.stderr.strip().removeprefix('validate: ')}"]
    assert reason in completed.stderr


def test_a_ci_file_gitlab_would_refuse_is_reported_at_its_line(repository_copy: Path, tmp_path: Path) -> None:
    write_files(
        repository_copy,
        {
            "app-repo/.gitlab-ci.yml": "include:\n  - local: ci/build.yml\nstages: [build]\n",
            "app-repo/ci/build.yml": "build:\n  stage: build\n  scripts:\n    - make\n",
        },
    )
    junit, quality = tmp_path / "gate.xml", tmp_path / "quality.json"
    completed = invoke_validate(
        repository_copy, "--format", "json", "--report", f"junit={junit}", "--report", f"codequality={quality}"
    )
    assert completed.returncode == 1, completed.stderr
    [finding] = [f for f in json.loads(completed.stdout) if f["rule"] == "CI-GITLAB-SCHEMA"]
    assert (finding["path"], finding["line"]) == ("app-repo/ci/build.yml", 1)
    assert "'scripts' was unexpected" in finding["message"]
    assert 'classname="CI-GITLAB-SCHEMA"' in junit.read_text(encoding="utf-8")
    assert json.loads(quality.read_text(encoding="utf-8"))[0]["location"] == {
        "path": "app-repo/ci/build.yml",
        "lines": {"begin": 1},
    }


def test_a_remote_base_is_said_not_checked_and_not_called_a_failed_sync(repository_copy: Path) -> None:
    """Argo CD's repo-server fetches a remote base; the offline gate does not render that overlay, says so at
    the line that names it, and does not claim that the Application would fail to sync."""
    replace(
        f"{APP}/overlays/prod/kustomization.yaml",
        "  - ../../base\n",
        "  - ../../base\n  - https://github.com/example/manifests//base?ref=v1\n",
    )(repository_copy)
    completed = invoke_validate(repository_copy, "--format", "json", timeout=60)
    findings = json.loads(completed.stdout)
    said = {(f["rule"], f["severity"], f["path"]) for f in findings}
    assert ("GUARD-REMOTE-RESOURCE", "info", f"{APP}/overlays/prod/kustomization.yaml") in said, findings
    assert ("RENDER-SKIPPED", "info", f"{APP}/overlays/prod/kustomization.yaml") in said, findings
    assert not [f for f in findings if f["severity"] != "info"], findings
    assert completed.returncode == 0, completed.stderr


def test_charts_read_beside_rendering_report_what_the_gate_finds_in_process(
    repository_copy: Path, tmp_path: Path
) -> None:
    """`invoke validate` starts with Helm not loaded, so it reads what each chart declares (defaults, schema,
    whether a template varies) in a forked child while kustomize renders; this test process has loaded Helm, so
    `run_gate` reads them itself. With nothing cached, both must report the same chart findings."""
    platform = "gitops-repo/platform"
    replace(  # Grafana's admin password generated on every render: found through the chart's templates
        f"{platform}/kube-prometheus-stack/values.yaml",
        "  admin:\n    existingSecret: grafana-admin\n    userKey: admin-user\n    passwordKey: admin-password\n",
    )(repository_copy)
    replace(f"{platform}/loki/values.yaml", "deploymentMode:", "deploymentModee:")(repository_copy)  # defaults
    completed = invoke(repository_copy, "validate", "--format", "json", cache=tmp_path / "cache")
    in_process = json.loads(as_json(gate(repository_copy).findings))
    rules = {finding["rule"] for finding in reported(in_process)}
    assert {"RENDER-NONDETERMINISTIC", "CHART-VALUES-UNKNOWN-KEY"} <= rules, in_process

    # (the nondeterministic finding's message quotes the random value, which differs between any two runs)
    def said(findings: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [tuple(v for k, v in finding.items() if k != "message") for finding in findings]

    assert said(json.loads(completed.stdout)) == said(in_process), completed.stderr
