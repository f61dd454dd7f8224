"""Stage 5: every rendered resource against the strict schema of its kind: built-in kinds at the pinned
Kubernetes version, custom resources against their CRD, then what the API server validates beyond types
(api_validation). A kind with no schema is a finding."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import relevance

from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.object_paths import split_api_version
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.gate.schema.api_lifecycle import deprecated, removed
from gitops_toolkit.gate.schema.api_validation import api_findings
from gitops_toolkit.gate.schema.crd_schemas import CrdSchemas, without_pruned_nulls
from gitops_toolkit.gate.schema.kubernetes_schemas import KubernetesSchemas
from gitops_toolkit.gate.schema.result_cache import Errors, SchemaResults

_MAX_ERRORS_PER_RESOURCE = 5


class SchemaCatalog:
    """Built-in and custom-resource schemas behind one look-up."""

    def __init__(self, kubernetes: KubernetesSchemas, crds: CrdSchemas) -> None:
        self.kubernetes = kubernetes
        self.crds = crds

    def validator(self, api_version: str, kind: str) -> Draft202012Validator | None:
        return self.kubernetes.validator(api_version, kind) or self.crds.validator(api_version, kind)


_BROKEN = {"SCHEMA-INVALID", "SCHEMA-UNKNOWN-API", "SCHEMA-REMOVED-API"}


def check_schemas(resources: Iterable[Resource], catalog: SchemaCatalog) -> tuple[list[Finding], list[Resource]]:
    """Findings, and the resources that broke their schema."""
    resources = list(resources)
    conflicts = add_rendered_crds(resources, catalog)
    results = SchemaResults(catalog.kubernetes.kubernetes_version)
    findings, broken = check_resources(resources, catalog, results)
    results.save()
    return conflicts + findings, broken


def add_rendered_crds(resources: list[Resource], catalog: SchemaCatalog) -> list[Finding]:
    """Teach the catalog the CRDs among the resources; a CRD defined twice, differently, is a finding."""
    findings: list[Finding] = []
    crds: dict[str, Resource] = {}
    for resource in resources:
        if resource.kind != "CustomResourceDefinition":
            continue
        first = crds.setdefault(resource.ref.name, resource)
        if first is not resource and _definition(first) != _definition(resource):
            findings.append(
                resource.finding(
                    "SCHEMA-CRD-CONFLICT",
                    f"CustomResourceDefinition {resource.ref.name} is also defined, differently, in {first.path}:"
                    f"{first.line}; the cluster keeps whichever syncs last: keep one definition",
                )
            )
        if resource.crd_text:
            catalog.crds.add_text(Path(resource.path), resource.crd_text.encode("utf-8"))
        else:
            catalog.crds.add_crd(resource.obj)
    return findings


def check_resources(
    resources: list[Resource], catalog: SchemaCatalog, results: SchemaResults
) -> tuple[list[Finding], list[Resource]]:
    """Each resource against its schema, then what the API server validates beyond it (once the catalog knows
    the rendered CRDs); the findings, and the resources that broke their schema."""
    findings: list[Finding] = []
    broken: list[Resource] = []
    for resource in resources:
        if resource.crd_text:
            continue  # a chart's CRD, kept as text: upstream's, pinned with its archive
        resource_findings = _check_resource(resource, catalog, results)
        if any(finding.rule in _BROKEN for finding in resource_findings):
            broken.append(resource)
        elif not resource_findings or all(finding.rule == "SCHEMA-NO-SCHEMA" for finding in resource_findings):
            built_in = catalog.kubernetes.validator(resource.api_version, resource.kind) is not None
            resource_findings += api_findings(resource, built_in)
            if built_in and (found := _deprecated(resource, catalog)):
                resource_findings.append(found)
        findings.extend(resource_findings)
    return findings, broken


def _definition(crd: Resource) -> Any:
    """What two definitions of one CRD are compared by: the text a chart rendered, or the parsed spec."""
    return crd.crd_text.strip() if crd.crd_text else crd.obj.get("spec")


def _check_resource(resource: Resource, catalog: SchemaCatalog, results: SchemaResults) -> list[Finding]:
    if not resource.api_version or not resource.kind:
        return [resource.finding("SCHEMA-INVALID", "apiVersion and kind are required on every resource")]
    validator = catalog.kubernetes.validator(resource.api_version, resource.kind)
    if validator is not None:
        errors = _built_in_errors(resource, validator, results)
        return [resource.finding("SCHEMA-INVALID", message, path) for path, message in errors]
    validator = catalog.crds.validator(resource.api_version, resource.kind)
    if validator is None:
        return [_no_schema(resource, catalog)]
    obj = without_pruned_nulls(resource.obj, validator.schema)
    return [
        resource.finding("SCHEMA-INVALID", message, path) for path, message in map(describe, _worst(validator, obj))
    ]


def check_built_in(resources: Iterable[Resource], catalog: SchemaCatalog, results: SchemaResults) -> None:
    """Validate every resource of a built-in kind whose result `results` lacks (check_resources then reads it):
    work that needs no CRD, done while the CRDs are read."""
    for resource in resources:
        validator = catalog.kubernetes.validator(resource.api_version, resource.kind)
        if validator is not None and not resource.crd_text:
            _built_in_errors(resource, validator, results)


def _built_in_errors(resource: Resource, validator: Draft202012Validator, results: SchemaResults) -> Errors:
    """A built-in kind's schema is fixed by the Kubernetes version, so its results are kept by content."""
    digest = results.digest(resource)
    errors = results.get(digest)
    if errors is None:
        errors = [describe(error) for error in _worst(validator, resource.obj)]
        results.put(digest, errors)
    return errors


def _worst(validator: Draft202012Validator, obj: Any) -> list[ValidationError]:
    return sorted(validator.iter_errors(obj), key=relevance)[:_MAX_ERRORS_PER_RESOURCE]


def _no_schema(resource: Resource, catalog: SchemaCatalog) -> Finding:
    group, _ = split_api_version(resource.api_version)
    version = catalog.kubernetes.kubernetes_version
    if known := catalog.crds.kinds_in_group(group):
        served = ", ".join(f"{kind} ({group}/{served_version})" for served_version, kind in sorted(known))
        return resource.finding(
            "SCHEMA-UNKNOWN-API",
            f"the CRDs of {group} define no {resource.kind} in {resource.api_version}; they define {served}: "
            "fix the kind or the version",
            ["kind"],
        )
    if group in catalog.kubernetes.groups:
        _, api = split_api_version(resource.api_version)
        if change := removed(group, api, resource.kind, version):
            return resource.finding(
                "SCHEMA-REMOVED-API",
                f"{resource.kind} {resource.api_version} was removed in Kubernetes {change.since} (validated against "
                f"{version}); use {change.replacement}",
                ["apiVersion"],
            )
        return resource.finding(
            "SCHEMA-UNKNOWN-API",
            f"Kubernetes {version} serves no {resource.kind} in {resource.api_version}; "
            "use an API version this Kubernetes serves (`kubectl api-resources`)",
            ["apiVersion"],
        )
    return resource.finding(
        "SCHEMA-NO-SCHEMA",
        f"no schema for custom resource {resource.kind} ({resource.api_version}), so it was not "
        "validated; add its CRD to gitops-repo/crds.lock.yaml and run `invoke crds.fetch --repin`, or pass "
        "--crd-dir with a directory holding it",
    )


def _deprecated(resource: Resource, catalog: SchemaCatalog) -> Finding | None:
    group, api = split_api_version(resource.api_version)
    version = catalog.kubernetes.kubernetes_version
    change = deprecated(group, api, resource.kind, version)
    if change is None:
        return None
    return resource.finding(
        "SCHEMA-DEPRECATED-API",
        f"{resource.kind} {resource.api_version} is deprecated since Kubernetes {change.since} (validated against "
        f"{version}) and will be removed; use {change.replacement}",
        ["apiVersion"],
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
        return path, f"`{dotted(path)}` must be {' or '.join(expected)}, not {_typed(error.instance)}"
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [str(name) for name in _as_list(error.validator_value) if name not in error.instance]
        return path, f"`{dotted(path)}` needs the field `{missing[0] if missing else '?'}`; add it"
    if error.validator == "enum":
        allowed = ", ".join(as_json(value) for value in _as_list(error.validator_value))
        return path, f"`{dotted(path)}` must be one of {allowed}, not {as_json(error.instance)}"
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
            return path, f"`{dotted(path)}` must be {' or '.join(kinds)}, not {_typed(error.instance)}"
    constraint = _CONSTRAINTS.get(str(error.validator), f"must satisfy `{error.validator}:`")
    return path, f"`{dotted(path)}` {constraint} {as_json(error.validator_value)}, not {as_json(error.instance)}"


# How a person reads a JSON Schema keyword that a value broke (jsonschema's own messages are Python reprs).
_CONSTRAINTS = {
    "const": "must be",
    "pattern": "must match the pattern",
    "format": "must be in the format",
    "minimum": "must be at least",
    "maximum": "must be at most",
    "exclusiveMinimum": "must be more than",
    "exclusiveMaximum": "must be less than",
    "minLength": "must be at least this many characters:",
    "maxLength": "must be at most this many characters:",
    "minItems": "needs at least this many items:",
    "maxItems": "allows at most this many items:",
    "minProperties": "needs at least this many fields:",
    "maxProperties": "allows at most this many fields:",
    "uniqueItems": "must hold unique items:",
    "multipleOf": "must be a multiple of",
}


def as_json(value: Any, limit: int = 80) -> str:
    """A value as a person wrote it in YAML/JSON (never a Python repr), shortened."""
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}


def _typed(value: Any) -> str:
    return f"{_json_type(value)} {as_json(value)}"


def _json_type(value: Any) -> str:
    return "null" if value is None else _JSON_TYPES.get(type(value), type(value).__name__)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
