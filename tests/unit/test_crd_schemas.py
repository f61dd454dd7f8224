"""CRD files from --crd-dir: real add-on CRDs load, converted schemas are cached by content."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_toolkit.core.bounded_yaml import load_trusted_yaml
from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.core.versions import KUBERNETES_VERSION
from gitops_toolkit.gate.schema.crd_schemas import CrdSchemas, crd_versions, openapi_to_json_schema
from gitops_toolkit.gate.schema.kubernetes_schemas import KubernetesSchemas
from gitops_toolkit.render.crds.crd_text import defined_kinds
from tests.conftest import VENDORED_CRDS


@pytest.fixture
def schemas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CrdSchemas:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return CrdSchemas(KubernetesSchemas(KUBERNETES_VERSION))


def test_every_vendored_crd_loads_and_validates_a_minimal_object(schemas: CrdSchemas) -> None:
    schemas.add_directories([VENDORED_CRDS])
    kinds = schemas.kinds()
    assert ("argoproj.io", "v1alpha1", "Application") in kinds
    assert ("gateway.networking.k8s.io", "v1", "HTTPRoute") in kinds
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "r"},
        "spec": {"parentRefs": [{"name": "gateway"}], "rules": [{"backendRefs": [{"name": "web", "port": 80}]}]},
    }
    validator = schemas.validator("gateway.networking.k8s.io/v1", "HTTPRoute")
    assert validator is not None
    assert list(validator.iter_errors(route)) == []
    route["spec"]["rules"][0]["backendRefs"][0]["port"] = "eighty"  # an integer field
    assert list(validator.iter_errors(route))


def test_converted_schemas_are_cached_and_reused(schemas: CrdSchemas, tmp_path: Path) -> None:
    schemas.add_directories([VENDORED_CRDS / "argo-cd-crds"])
    assert schemas.kinds()  # converted on first use
    cached = list((tmp_path / "cache" / "gitops-toolkit" / "crd-schemas").glob("*.json"))
    assert len(cached) == len(list((VENDORED_CRDS / "argo-cd-crds").glob("*.yaml")))
    again = CrdSchemas(KubernetesSchemas(KUBERNETES_VERSION))
    again.add_directories([VENDORED_CRDS / "argo-cd-crds"])
    assert again.kinds() == schemas.kinds()


def test_missing_crd_directory_is_a_tool_error(schemas: CrdSchemas, tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="no such directory"):
        schemas.add_directories([tmp_path / "absent"])


def test_unreadable_crd_file_is_a_tool_error(schemas: CrdSchemas, tmp_path: Path) -> None:
    (tmp_path / "crds").mkdir()
    (tmp_path / "crds" / "broken.yaml").write_text("kind: CustomResourceDefinition\nspec: [\n", encoding="utf-8")
    with pytest.raises(ToolError, match=r"broken\.yaml"):
        schemas.add_directories([tmp_path / "crds"])


def test_openapi_conversion() -> None:
    converted = openapi_to_json_schema(
        {
            "type": "object",
            "properties": {
                "port": {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]},
                "note": {"type": "string", "nullable": True},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True, "properties": {"a": {}}},
                "ratio": {"type": "number", "minimum": 0, "exclusiveMinimum": True},
            },
        }
    )
    assert converted["additionalProperties"] is False
    assert converted["properties"]["port"]["type"] == ["integer", "string"]
    assert converted["properties"]["note"]["type"] == ["string", "null"]
    assert "additionalProperties" not in converted["properties"]["free"]
    assert converted["properties"]["ratio"] == {"type": "number", "exclusiveMinimum": 0}


def test_the_kinds_read_from_each_vendored_crd_text_match_a_full_parse(schemas: CrdSchemas) -> None:
    for path in sorted(VENDORED_CRDS.rglob("*.yaml")):
        documents = load_trusted_yaml(path.read_text(encoding="utf-8"))
        crds = [document for document in documents if document.get("kind") == "CustomResourceDefinition"]
        parsed = {(group, kind) for crd in crds for group, _, kind in crd_versions(crd)}
        assert defined_kinds(path.read_text(encoding="utf-8")) == parsed, path


def test_a_crd_in_an_unusual_layout_is_parsed_instead() -> None:
    flow = "kind: CustomResourceDefinition\nspec: {group: example.org, names: {kind: Widget}}\n"
    assert defined_kinds(flow) is None


def test_schemas_converted_elsewhere_are_adopted_for_the_kinds_asked_only(
    schemas: CrdSchemas, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The gate converts the CRDs the resources need in a forked child and hands the result back: the catalog then
    # reads no file for those kinds (here: none can be read), and converts the rest when asked, as before.
    schemas.add_directories([VENDORED_CRDS])
    converted = schemas.convert([("gateway.networking.k8s.io", "HTTPRoute"), ("example.com", "Nothing")])
    assert [kind for kinds in converted.values() for _, _, kind in kinds] == ["HTTPRoute", "HTTPRoute"]
    schemas.adopt(converted)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty"))
    monkeypatch.setattr("gitops_toolkit.gate.schema.crd_schemas.load_trusted_yaml", None)  # reading would fail
    assert schemas.validator("gateway.networking.k8s.io/v1", "HTTPRoute") is not None
    with pytest.raises(TypeError):
        schemas.validator("gateway.networking.k8s.io/v1", "Gateway")


def test_only_kinds_whose_schemas_no_run_kept_call_for_a_conversion(schemas: CrdSchemas) -> None:
    route = [("gateway.networking.k8s.io", "HTTPRoute")]
    schemas.add_directories([VENDORED_CRDS])
    assert schemas.uncached(route) and not schemas.uncached([("example.com", "Nothing")])
    schemas.convert(route)  # kept in the cache, as the gate's child leaves them
    again = CrdSchemas(KubernetesSchemas(KUBERNETES_VERSION))
    again.add_directories([VENDORED_CRDS])
    assert not again.uncached(route) and again.uncached([("gateway.networking.k8s.io", "Gateway")])
