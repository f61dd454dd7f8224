"""A rendered resource that remembers the entry point that rendered it and where a person edits it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gitops_toolkit.core.bounded_yaml import YamlDocument
from gitops_toolkit.core.findings import Finding, ResourceRef

# Cluster-scoped kinds: no namespace, whatever the overlay sets.
CLUSTER_SCOPED = {
    "Namespace",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "IngressClass",
    "GatewayClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "APIService",
    "RuntimeClass",
    "CSIDriver",
    "ClusterIssuer",
    "IPAddressPool",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
}


@dataclass(frozen=True)
class Resource:
    """One rendered object, with the entry point that rendered it and where a person edits it."""

    obj: dict[str, Any]
    entry: str
    path: str
    line: int
    source: YamlDocument | None = None
    # Rendered from a chart's templates: written upstream, not in this repository (see rules.AUTHORED_ONLY).
    third_party: bool = False
    # A chart template that renders it only once the cluster serves its API (`.Capabilities.APIVersions.Has`).
    rendered_when_served: bool = False
    # A chart's CustomResourceDefinition kept as its text: only its identity is parsed (`obj`), its schema is
    # converted when a custom resource needs it. Upstream's, pinned by sha256: not validated field by field.
    crd_text: str = ""

    @property
    def api_version(self) -> str:
        return str(self.obj.get("apiVersion", ""))

    @property
    def api_group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def origin(self) -> tuple[str, str, int, str, str]:
        """Where this object came from; the same for its copies placed in an Application's namespace."""
        return (self.entry, self.path, self.line, self.kind, str(self.metadata.get("name", "")))

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def metadata(self) -> dict[str, Any]:
        metadata = self.obj.get("metadata")
        return metadata if isinstance(metadata, dict) else {}

    @property
    def ref(self) -> ResourceRef:
        return ResourceRef(
            self.kind, str(self.metadata.get("namespace", "") or ""), str(self.metadata.get("name", "") or "")
        )

    def line_at(self, path: Sequence[str | int]) -> int:
        """Line of `path` (e.g. spec.replicas) in the source document, or of the document itself.
        List items with a `name` (containers, env, ports) are matched by name, as kustomize merges them,
        so an item a patch added or moved points at its list rather than at a stranger."""
        if self.source is None:
            return self.line
        rendered: Any = self.obj
        source: Any = self.source.data
        source_path: list[str | int] = []
        for part in path:
            if isinstance(part, int) and isinstance(rendered, list) and isinstance(source, list):
                rendered = rendered[part] if 0 <= part < len(rendered) else None
                if isinstance(rendered, dict) and "name" in rendered:
                    named = [
                        i
                        for i, item in enumerate(source)
                        if isinstance(item, dict) and item.get("name") == rendered["name"]
                    ]
                    if not named:
                        break
                    part = named[0]
                source = source[part] if 0 <= part < len(source) else None
            else:
                rendered = rendered.get(part) if isinstance(rendered, dict) else None
                source = source.get(part) if isinstance(source, dict) else None
            source_path.append(part)
        return self.source.line_of(source_path)

    def finding(self, rule: str, message: str, path: Sequence[str | int] = ()) -> Finding:
        """A finding on this resource, at the line of `path` in the file that declares it."""
        return Finding(self.path, self.line_at(path), rule, message, self.ref)

    def annotation(self, name: str) -> str | None:
        annotations = self.metadata.get("annotations")
        value = annotations.get(name) if isinstance(annotations, dict) else None
        return None if value is None else str(value)
