"""Stage 5: every rendered resource against the strict schema of its kind: built-in kinds at the pinned
Kubernetes version, custom resources against their CRD. A kind with no schema is a finding."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import relevance

from gitops_toolkit.gate.crd_schemas import CrdSchemas
from gitops_toolkit.gate.findings import Finding
from gitops_toolkit.gate.kubernetes_schemas import KubernetesSchemas, split_api_version
from gitops_toolkit.gate.resource import Resource

_MAX_ERRORS_PER_RESOURCE = 5


class SchemaCatalog:
    """Built-in and custom-resource schemas behind one look-up."""

    def __init__(self, kubernetes: KubernetesSchemas, crds: CrdSchemas) -> None:
        self.kubernetes = kubernetes
        self.crds = crds

    def validator(self, api_version: str, kind: str) -> Draft202012Validator | None:
        return self.kubernetes.validator(api_version, kind) or self.crds.validator(api_version, kind)


_BROKEN = {"SCHEMA-INVALID", "SCHEMA-UNKNOWN-API"}


def check_schemas(resources: Iterable[Resource], catalog: SchemaCatalog) -> tuple[list[Finding], list[Resource]]:
    """Findings, and the resources that broke their schema."""
    resources = list(resources)
    for resource in resources:
        if resource.kind == "CustomResourceDefinition":
            catalog.crds.add_crd(resource.obj)
    findings: list[Finding] = []
    broken: list[Resource] = []
    for resource in resources:
        resource_findings = _check_resource(resource, catalog)
        findings.extend(resource_findings)
        if any(finding.rule in _BROKEN for finding in resource_findings):
            broken.append(resource)
    return findings, broken


def _check_resource(resource: Resource, catalog: SchemaCatalog) -> list[Finding]:
    if not resource.api_version or not resource.kind:
        return [resource.finding("SCHEMA-INVALID", "apiVersion and kind are required on every resource")]
    validator = catalog.validator(resource.api_version, resource.kind)
    if validator is None:
        return [_no_schema(resource, catalog)]
    errors = sorted(validator.iter_errors(resource.obj), key=relevance)[:_MAX_ERRORS_PER_RESOURCE]
    return [resource.finding("SCHEMA-INVALID", message, path) for path, message in map(describe, errors)]


def _no_schema(resource: Resource, catalog: SchemaCatalog) -> Finding:
    group, _ = split_api_version(resource.api_version)
    version = catalog.kubernetes.kubernetes_version
    if group in catalog.kubernetes.groups:
        return resource.finding(
            "SCHEMA-UNKNOWN-API",
            f"Kubernetes {version} serves no {resource.kind} in {resource.api_version}; "
            "use an API version this Kubernetes serves (`kubectl api-resources`)",
            ["apiVersion"],
        )
    return resource.finding(
        "SCHEMA-NO-SCHEMA",
        f"no schema for custom resource {resource.kind} ({resource.api_version}), so it was not "
        "validated; run `invoke crds.fetch` (or pass --crd-dir with a directory holding its CRD)",
    )


def dotted(path: Sequence[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def describe(error: ValidationError) -> tuple[list[str | int], str]:
    """The path of the offending field and a message that says what to change."""
    path: list[str | int] = list(error.absolute_path)
    schema: Any = error.schema
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(schema.get("properties") or {})
        unknown = sorted(str(key) for key in error.instance if key not in known)
        if unknown:
            path.append(unknown[0])
            return path, f"unknown field `{dotted(path)}`; remove it or fix its spelling"
    if error.validator == "type":
        expected = [name for name in _as_list(error.validator_value) if name != "null"]
        return path, (
            f"`{dotted(path)}` must be {' or '.join(expected)}, not {_json_type(error.instance)} {error.instance!r}"
        )
    if error.validator == "required":
        return path, f"`{dotted(path)}`: {error.message}; add it"
    if error.validator in ("oneOf", "anyOf") and error.context:
        kinds = sorted(
            {
                name
                for sub in error.context
                if sub.validator == "type"
                for name in _as_list(sub.validator_value)
                if name != "null"
            }
        )
        if kinds:
            return path, (
                f"`{dotted(path)}` must be {' or '.join(kinds)}, not {_json_type(error.instance)} {error.instance!r}"
            )
    return path, f"`{dotted(path)}`: {error.message}"


_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}


def _json_type(value: Any) -> str:
    return "null" if value is None else _JSON_TYPES.get(type(value), type(value).__name__)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
