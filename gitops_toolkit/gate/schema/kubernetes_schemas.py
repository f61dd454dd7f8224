"""Strict JSON schemas of the built-in Kubernetes kinds, from the kubernetes-validate wheel, for the
version pinned in gitops_toolkit.core.versions. One validator per kind, built once and cached."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.core.object_paths import split_api_version

DEFINITIONS_URI = "https://kubernetes.io/api/_definitions.json"
OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


def _schema_directory(kubernetes_version: str) -> Path:
    base = resources.files("kubernetes_validate") / "kubernetes-json-schema"
    wanted = f"v{kubernetes_version}.0-local-strict"
    directory = Path(str(base)) / wanted
    if not (directory / "_definitions.json").is_file():
        raise ToolError(
            f"kubernetes-validate has no strict schemas for Kubernetes {kubernetes_version}; "
            "install the version pyproject.toml pins"
        )
    return directory


@dataclass
class KubernetesSchemas:
    kubernetes_version: str
    _validators: dict[str, Draft202012Validator] = field(default_factory=dict)

    @cached_property
    def _definitions(self) -> dict[str, Any]:
        path = _schema_directory(self.kubernetes_version) / "_definitions.json"
        definitions: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["$defs"]
        return definitions

    @cached_property
    def registry(self) -> Registry[Any]:
        contents = {"$id": DEFINITIONS_URI, "$defs": self._definitions}
        registry: Registry[Any] = Registry().with_resource(DEFINITIONS_URI, DRAFT202012.create_resource(contents))
        return registry

    @cached_property
    def _names_by_kind(self) -> dict[tuple[str, str, str], str]:
        names = {}
        for name, definition in self._definitions.items():
            for gvk in definition.get("x-kubernetes-group-version-kind", []):
                names[(gvk["group"], gvk["version"], gvk["kind"])] = name
        return names

    @cached_property
    def groups(self) -> frozenset[str]:
        """API groups Kubernetes itself serves; a kind in one of them is never a custom resource."""
        return frozenset(group for group, _, _ in self._names_by_kind)

    def reference(self, definition: str) -> dict[str, str]:
        return {"$ref": f"{DEFINITIONS_URI}#/$defs/{definition}"}

    def validator(self, api_version: str, kind: str) -> Draft202012Validator | None:
        group, version = split_api_version(api_version)
        name = self._names_by_kind.get((group, version, kind))
        if name is None:
            return None
        if name not in self._validators:
            self._validators[name] = Draft202012Validator(self.reference(name), registry=self.registry)
        return self._validators[name]
