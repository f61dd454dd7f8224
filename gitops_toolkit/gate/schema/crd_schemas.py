"""Schemas of custom resources, taken from CustomResourceDefinitions (files in --crd-dir directories,
and CRDs found among the rendered resources). Converted CRD files are cached by content hash, since
parsing large CRD YAML costs more than rendering a whole overlay."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from gitops_toolkit.core.bounded_yaml import load_trusted_yaml
from gitops_toolkit.core.cache_directory import is_cached, read_json, write_json
from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.core.object_paths import mapping, split_api_version
from gitops_toolkit.gate.schema.kubernetes_schemas import OBJECT_META, KubernetesSchemas
from gitops_toolkit.render.crds.crd_text import defined_kinds

_MAX_CRD_FILE_BYTES = 16 * 1024 * 1024
_CACHE_FORMAT = 1
_CACHE_KIND = "crd-schemas"
_SCHEMA_MAPS = ("properties", "patternProperties")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SCHEMA_VALUES = ("items", "additionalProperties", "not")

CrdKey = tuple[str, str, str]  # group, version, kind


def openapi_to_json_schema(schema: Any) -> Any:
    """A CRD's OpenAPI v3 schema as strict JSON Schema: unknown fields are rejected wherever the CRD lists
    its properties (as the API server prunes them), `nullable` and int-or-string are made explicit."""
    if not isinstance(schema, dict):
        return schema
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            result[key] = {name: openapi_to_json_schema(child) for name, child in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            result[key] = [openapi_to_json_schema(child) for child in value]
        elif key in _SCHEMA_VALUES and isinstance(value, dict):
            result[key] = openapi_to_json_schema(value)
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
            continue  # OpenAPI 3.0 booleans; handled below
        elif key != "nullable":
            result[key] = value
    for exclusive, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if schema.get(exclusive) is True and bound in result:
            result[exclusive] = result.pop(bound)
    if schema.get("x-kubernetes-int-or-string"):
        result.pop("type", None)
        result["type"] = ["integer", "string"]
    if schema.get("nullable") and isinstance(result.get("type"), str):
        result["type"] = [result["type"], "null"]
    if schema.get("x-kubernetes-embedded-resource"):
        result.setdefault("properties", {})
        for name in ("apiVersion", "kind", "metadata"):
            result["properties"].setdefault(name, {"type": "object"} if name == "metadata" else {"type": "string"})
    if (
        "properties" in result
        and "additionalProperties" not in result
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        result["additionalProperties"] = False
    return result


def _admits_null(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return kind is None or kind == "null" or (isinstance(kind, list) and "null" in kind)


def without_pruned_nulls(value: Any, schema: Any) -> Any:
    """A custom resource as the API server validates it: a null in an object field whose schema does not admit
    null is pruned before validation (apiextensions' PruneNonNullableNullsWithoutDefaults; a field with a
    default gets the default instead, which is valid by construction)."""
    if isinstance(value, list) and isinstance(schema, dict) and isinstance(schema.get("items"), dict):
        return [without_pruned_nulls(item, schema["items"]) for item in value]
    if not isinstance(value, dict) or not isinstance(schema, dict):
        return value
    properties: dict[str, Any] = schema["properties"] if isinstance(schema.get("properties"), dict) else {}
    additional = schema.get("additionalProperties")
    kept: dict[str, Any] = {}
    for key, item in value.items():
        child = properties.get(key, additional if isinstance(additional, dict) else None)
        if item is None and isinstance(child, dict) and not _admits_null(child):
            continue
        kept[key] = without_pruned_nulls(item, child)
    return kept


def crd_versions(crd: dict[str, Any]) -> dict[CrdKey, dict[str, Any]]:
    """Converted schema of every served version of one CustomResourceDefinition, in each shape the API server
    accepts: `apiextensions.k8s.io/v1` (a schema per version) and the v1beta1 style (one `spec.validation`
    for every version, and a single `spec.version`)."""
    spec = mapping(crd.get("spec"))
    group = str(spec.get("group", ""))
    kind = str(mapping(spec.get("names")).get("kind", ""))
    shared = mapping(spec.get("validation")).get("openAPIV3Schema")
    versions = [version for version in spec.get("versions") or [] if isinstance(version, dict)]
    if not versions and spec.get("version"):
        versions = [{"name": spec["version"]}]
    schemas = {}
    for version in versions:
        if version.get("served") is False:
            continue
        openapi = mapping(version.get("schema")).get("openAPIV3Schema") or shared or {"type": "object"}
        schemas[(group, str(version.get("name", "")), kind)] = openapi_to_json_schema(openapi)
    return schemas


def _is_crd(document: Any) -> bool:
    return isinstance(document, dict) and document.get("kind") == "CustomResourceDefinition"


def _cache_key(digest: str) -> str:
    return f"{digest}-v{_CACHE_FORMAT}"


def _read_crd_file(path: Path, raw: bytes, digest: str) -> dict[CrdKey, dict[str, Any]]:
    key = _cache_key(digest)
    entries = read_json(_CACHE_KIND, key)
    if isinstance(entries, list):
        return {(group, version, kind): schema for (group, version, kind), schema in entries}
    try:
        documents = load_trusted_yaml(raw.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as error:
        raise ToolError(f"{path}: not a readable YAML file ({type(error).__name__}); fix or remove it") from None
    schemas: dict[CrdKey, dict[str, Any]] = {}
    for document in filter(_is_crd, documents):
        schemas.update(crd_versions(document))
    write_json(_CACHE_KIND, key, [[list(crd_key), schema] for crd_key, schema in schemas.items()])
    return schemas


class CrdSchemas:
    """Custom resource schemas by (group, version, kind). CRD files are indexed when added and converted when a
    resource first needs one of their kinds."""

    def __init__(self, kubernetes: KubernetesSchemas) -> None:
        self._kubernetes = kubernetes
        self._schemas: dict[CrdKey, dict[str, Any]] = {}
        self._validators: dict[CrdKey, Draft202012Validator] = {}
        self._pending: dict[tuple[str, str], list[tuple[Path, bytes, str]]] = {}  # (group, kind) -> unread files
        self._pending_objects: dict[tuple[str, str], list[dict[str, Any]]] = {}  # (group, kind) -> rendered CRDs
        # The kinds each CRD file (by sha256) defines: how the gate knows which Application installs a kind.
        self.kinds_by_digest: dict[str, set[tuple[str, str]]] = {}
        self._rendered_digests: list[str] = []  # of the rendered CRD objects, for identity()
        self._converted: dict[str, dict[CrdKey, dict[str, Any]]] = {}  # by digest: converted elsewhere (adopt)

    def add_directories(self, directories: Iterable[Path]) -> None:
        for directory in directories:
            if not directory.is_dir():
                raise ToolError(f"--crd-dir {directory}: no such directory")
            self.add_files(path for path in sorted(directory.rglob("*")) if path.suffix in (".yaml", ".yml", ".json"))

    def add_files(self, paths: Iterable[Path]) -> None:
        for path in paths:
            if not path.is_file():
                continue
            raw = path.read_bytes()
            if len(raw) > _MAX_CRD_FILE_BYTES:
                raise ToolError(f"{path}: CRD file is over {_MAX_CRD_FILE_BYTES} bytes")
            self.add_text(path, raw)

    def add_text(self, origin: Path, raw: bytes) -> None:
        """CRDs as text (a file, or a chart's rendered CRD), indexed now and converted when first needed."""
        digest = hashlib.sha256(raw).hexdigest()
        kinds = defined_kinds(raw.decode("utf-8", errors="replace"))
        if kinds is None:
            self._load(origin, raw, digest)
            return
        self.kinds_by_digest[digest] = kinds
        for kind in kinds:
            self._pending.setdefault(kind, []).append((origin, raw, digest))

    def _unread(self, kinds: Iterable[tuple[str, str]]) -> dict[str, tuple[Path, bytes]]:
        """The CRD texts not read yet that define any of these (group, kind), by digest."""
        return {digest: (path, raw) for key in set(kinds) for path, raw, digest in self._pending.get(key, [])}

    def convert(self, kinds: Iterable[tuple[str, str]]) -> dict[str, dict[CrdKey, dict[str, Any]]]:
        """The converted schemas of the CRD texts not read yet that define any of these (group, kind), by
        digest, for `adopt` (this reads nothing into the catalog: it can run in another process)."""
        return {digest: _read_crd_file(path, raw, digest) for digest, (path, raw) in self._unread(kinds).items()}

    def uncached(self, kinds: Iterable[tuple[str, str]]) -> bool:
        """Whether a CRD text not read yet that defines one of these (group, kind) has no converted schemas kept
        from an earlier run (then converting costs a YAML parse of megabytes)."""
        return any(not is_cached(_CACHE_KIND, _cache_key(digest)) for digest in self._unread(kinds))

    def adopt(self, converted: dict[str, dict[CrdKey, dict[str, Any]]]) -> None:
        """Schemas `convert` returned: used when a resource first needs their kinds."""
        self._converted.update(converted)

    def _load(self, path: Path, raw: bytes, digest: str) -> None:
        adopted = self._converted.pop(digest, None)
        schemas = adopted if adopted is not None else _read_crd_file(path, raw, digest)
        self._schemas.update(schemas)
        self.kinds_by_digest[digest] = {(group, kind) for group, _, kind in schemas}

    def _load_pending(self, keys: Iterable[tuple[str, str]]) -> None:
        """Convert the files and rendered CRDs that define these (group, kind) and have not been read yet."""
        for key in list(keys):
            for path, raw, digest in self._pending.pop(key, []):
                self._load(path, raw, digest)
            for crd in self._pending_objects.pop(key, []):
                for version_key, schema in crd_versions(crd).items():
                    self._schemas.setdefault(version_key, schema)

    def add_crd(self, crd: dict[str, Any]) -> None:
        """A CRD among the rendered resources, converted when a resource first needs its kind."""
        spec = mapping(crd.get("spec"))
        key = (str(spec.get("group", "")), str(mapping(spec.get("names")).get("kind", "")))
        self._pending_objects.setdefault(key, []).append(crd)
        self._rendered_digests.append(hashlib.sha256(json.dumps(crd, sort_keys=True, default=str).encode()).hexdigest())

    def identity(self) -> str:
        """A digest of every CRD the catalog holds (files, chart texts, rendered objects): equal digests, equal
        schemas for every custom resource."""
        known = sorted(self.kinds_by_digest) + sorted(self._rendered_digests)
        return hashlib.sha256("\0".join(known).encode()).hexdigest()

    def kinds(self) -> set[CrdKey]:
        self._load_pending([*self._pending, *self._pending_objects])
        return set(self._schemas)

    def kinds_in_group(self, group: str) -> set[tuple[str, str]]:
        """(version, kind) of every custom resource the known CRDs define in `group`."""
        self._load_pending(key for key in [*self._pending, *self._pending_objects] if key[0] == group)
        return {(version, kind) for known_group, version, kind in self._schemas if known_group == group}

    def validator(self, api_version: str, kind: str) -> Draft202012Validator | None:
        group, version = split_api_version(api_version)
        key = (group, version, kind)
        self._load_pending([(group, kind)])
        if key not in self._validators:
            schema = self._schemas.get(key)
            if schema is None:
                return None
            root = dict(schema)
            properties = dict(root.get("properties") or {})
            properties.update(
                {
                    "apiVersion": {"type": "string"},
                    "kind": {"type": "string"},
                    "metadata": self._kubernetes.reference(OBJECT_META),
                }
            )
            root["properties"] = properties
            if not root.get("x-kubernetes-preserve-unknown-fields"):
                root.setdefault("additionalProperties", False)
            self._validators[key] = Draft202012Validator(root, registry=self._kubernetes.registry)
        return self._validators[key]
