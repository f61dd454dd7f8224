"""Schema stage: built-in kinds at the pinned Kubernetes version, custom resources against CRDs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import gate

Tree = Callable[[dict[str, str | bytes]], Path]
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: registry.example.org/web:1.0.0
          imagePullPolicy: IfNotPresent
          ports:
            - containerPort: 8080
"""
WIDGET_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.org
spec:
  group: example.org
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
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
                size: {type: integer}
                port: {x-kubernetes-int-or-string: true}
                note: {type: string, nullable: true}
                extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
"""
WIDGET = "apiVersion: example.org/v1\nkind: Widget\nmetadata:\n  name: small\nspec:\n  size: 3\n  port: http\n"


def one_file_app(content: str) -> dict[str, str | bytes]:
    return {"gitops-repo/app/kustomization.yaml": "resources: [app.yaml]\n", "gitops-repo/app/app.yaml": content}


def findings(root: Path, *crd_dirs: Path) -> list[tuple[str, int, str]]:
    """Findings of the schema stage (the fixtures are not meant to pass the security rules)."""
    return [(f.rule, f.line, f.message) for f in gate(root, *crd_dirs).findings if f.rule.startswith("SCHEMA-")]


def test_valid_deployment_passes(write_tree: Tree) -> None:
    assert findings(write_tree(one_file_app(DEPLOYMENT))) == []


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (
            "imagePullPolicy",
            "imagePullPolcy",
            15,
            "unknown field `spec.template.spec.containers[0].imagePullPolcy`; remove it or fix its spelling",
        ),
        (
            "containerPort: 8080",
            "containerPort: eighty",
            17,
            '`spec.template.spec.containers[0].ports[0].containerPort` must be integer, not string "eighty"',
        ),
        ("  selector:\n    matchLabels: {app: web}\n", "", 5, "`spec` needs the field `selector`; add it"),
    ],
)
def test_schema_defects_name_the_line(write_tree: Tree, old: str, new: str, line: int, message: str) -> None:
    result = findings(write_tree(one_file_app(DEPLOYMENT.replace(old, new))))
    assert result == [("SCHEMA-INVALID", line, message)]


def test_api_removed_from_kubernetes_is_an_error(write_tree: Tree) -> None:
    old_api = DEPLOYMENT.replace("apps/v1", "extensions/v1beta1")
    [(rule, line, message)] = findings(write_tree(one_file_app(old_api)))
    assert (rule, line) == ("SCHEMA-REMOVED-API", 1)
    assert "Deployment extensions/v1beta1 was removed in Kubernetes 1.16 (validated against 1.37)" in message
    assert message.endswith("use apps/v1")


def test_an_api_version_kubernetes_never_served_is_unknown(write_tree: Tree) -> None:
    misspelt = DEPLOYMENT.replace("apps/v1", "apps/v2")
    [(rule, line, message)] = findings(write_tree(one_file_app(misspelt)))
    assert (rule, line) == ("SCHEMA-UNKNOWN-API", 1)
    assert "Kubernetes 1.37 serves no Deployment in apps/v2" in message


def test_custom_resource_without_schema_is_a_warning_not_a_silent_pass(write_tree: Tree) -> None:
    result = gate(write_tree(one_file_app(WIDGET)))
    assert [(f.rule, str(f.severity)) for f in result.findings if f.rule.startswith("SCHEMA-")] == [
        ("SCHEMA-NO-SCHEMA", "warning")
    ]
    assert result.exit_code == 0


def test_custom_resource_is_validated_against_its_crd_from_crd_dir(write_tree: Tree, tmp_path: Path) -> None:
    crds = tmp_path / "crds"
    crds.mkdir()
    (crds / "widget.yaml").write_text(WIDGET_CRD, encoding="utf-8")
    root = write_tree(one_file_app(WIDGET + "  note: null\n  extra: {anything: [1]}\n"))
    assert findings(root, crds) == []

    root = write_tree(one_file_app(WIDGET.replace("size: 3", "size: big") + "  colour: red\n"))
    assert findings(root, crds) == [
        ("SCHEMA-INVALID", 6, '`spec.size` must be integer, not string "big"'),
        ("SCHEMA-INVALID", 8, "unknown field `spec.colour`; remove it or fix its spelling"),
    ]


def test_crds_among_the_rendered_resources_provide_schemas(write_tree: Tree) -> None:
    root = write_tree(one_file_app(WIDGET_CRD + "---\n" + WIDGET.replace("port: http", "port: [80]")))
    assert findings(root) == [("SCHEMA-INVALID", 31, "`spec.port` must be integer or string, not array [80]")]


def test_custom_resource_metadata_is_checked_as_object_meta(write_tree: Tree) -> None:
    mislabelled = WIDGET.replace("  name: small", "  name: small\n  lables: {}")
    root = write_tree(one_file_app(WIDGET_CRD + "---\n" + mislabelled))
    assert findings(root) == [("SCHEMA-INVALID", 29, "unknown field `metadata.lables`; remove it or fix its spelling")]


V1BETA1_CRD = """\
apiVersion: apiextensions.k8s.io/v1beta1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.org
spec:
  group: example.org
  version: v1alpha1
  versions:
    - {name: v1alpha1, served: true, storage: true}
    - {name: v1beta1, served: true, storage: false}
  names: {kind: Gadget, plural: gadgets}
  validation:
    openAPIV3Schema:
      type: object
      properties:
        spec:
          type: object
          properties:
            size: {type: integer}
"""


@pytest.mark.parametrize("version", ["v1alpha1", "v1beta1"])
def test_a_v1beta1_style_crd_validates_every_version_with_its_shared_schema(
    write_tree: Tree, tmp_path: Path, version: str
) -> None:
    crds = tmp_path / "crds"
    crds.mkdir()
    (crds / "gadget.yaml").write_text(V1BETA1_CRD, encoding="utf-8")
    gadget = f"apiVersion: example.org/{version}\nkind: Gadget\nmetadata:\n  name: g\nspec:\n  size: 2\n"
    assert findings(write_tree(one_file_app(gadget)), crds) == []
    wrong = gadget.replace("size: 2", "size: two")
    assert findings(write_tree(one_file_app(wrong)), crds) == [
        ("SCHEMA-INVALID", 6, '`spec.size` must be integer, not string "two"')
    ]


def test_a_kind_its_groups_crds_do_not_define_is_an_error_not_a_warning(write_tree: Tree) -> None:
    typo = WIDGET.replace("kind: Widget", "kind: Widgets")
    assert findings(write_tree(one_file_app(WIDGET_CRD + "---\n" + typo))) == [
        (
            "SCHEMA-UNKNOWN-API",
            26,
            "the CRDs of example.org define no Widgets in example.org/v1; they define Widget (example.org/v1): "
            "fix the kind or the version",
        )
    ]


def test_a_crd_given_twice_with_different_content_is_a_finding(write_tree: Tree) -> None:
    changed = WIDGET_CRD.replace("size: {type: integer}", "size: {type: string}")
    files = {
        **one_file_app(WIDGET_CRD + "---\n" + WIDGET),
        "gitops-repo/other/kustomization.yaml": "resources: [crd.yaml]\n",
    }
    assert findings(write_tree({**files, "gitops-repo/other/crd.yaml": WIDGET_CRD})) == []
    conflict = findings(write_tree({**files, "gitops-repo/other/crd.yaml": changed}))
    assert [(rule, line) for rule, line, _ in conflict] == [("SCHEMA-CRD-CONFLICT", 1)]
    assert "also defined, differently, in gitops-repo/app/app.yaml:1" in conflict[0][2]
