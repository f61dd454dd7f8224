"""Stage 4: turn rendered YAML into resources that remember the source file and line they came from."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gitops_toolkit.gate.findings import Finding, ResourceRef
from gitops_toolkit.gate.kustomization import kustomization_file
from gitops_toolkit.gate.render import Rendering
from gitops_toolkit.gate.source_files import SourceFiles
from gitops_toolkit.yaml_safety import YamlDocument, load_trusted_yaml

ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
_GENERATOR_FIELDS = ("configMapGenerator", "secretGenerator")


@dataclass(frozen=True)
class Resource:
    """One rendered object, with the entry point that rendered it and where a person edits it."""

    obj: dict[str, Any]
    entry: str
    path: str
    line: int
    source: YamlDocument | None = None

    @property
    def api_version(self) -> str:
        return str(self.obj.get("apiVersion", ""))

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def metadata(self) -> dict[str, Any]:
        metadata = self.obj.get("metadata")
        return metadata if isinstance(metadata, dict) else {}

    @property
    def ref(self) -> ResourceRef:
        return ResourceRef(self.kind, str(self.metadata.get("namespace", "") or ""),
                           str(self.metadata.get("name", "") or ""))

    def line_at(self, path: Sequence[str | int]) -> int:
        """Line of `path` (e.g. spec.replicas) in the source document, or of the document itself."""
        return self.source.line_of(path) if self.source is not None else self.line


def parse_rendering(rendering: Rendering, tree: SourceFiles) -> tuple[list[Resource], list[Finding]]:
    entry_file = tree.relative(kustomization_file(rendering.entry) or rendering.entry)
    try:
        objects = load_trusted_yaml(rendering.text)
    except yaml.YAMLError as error:
        return [], [Finding(entry_file, 1, "RENDER-FAILED", f"kustomize output is not YAML: {error}")]
    resources = []
    for obj in objects:
        if not isinstance(obj, dict):
            return [], [Finding(entry_file, 1, "RENDER-FAILED", "kustomize output holds a non-object document")]
        origin = _pop_origin(obj)
        resources.append(_locate(obj, origin, rendering, tree))
    return resources, []


def _pop_origin(obj: dict[str, Any]) -> dict[str, Any]:
    """Remove the origin annotation the wrapper asked for, so later stages see the object as Argo CD will."""
    metadata = obj.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    if not isinstance(annotations, dict) or ORIGIN_ANNOTATION not in annotations:
        return {}
    origin = yaml.load(annotations.pop(ORIGIN_ANNOTATION), Loader=yaml.CSafeLoader)
    if not annotations and isinstance(metadata, dict):
        del metadata["annotations"]
    return origin if isinstance(origin, dict) else {}


def _locate(obj: dict[str, Any], origin: dict[str, Any], rendering: Rendering, tree: SourceFiles) -> Resource:
    entry = tree.relative(rendering.entry)
    kind = str(obj.get("kind", ""))
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    name = str(metadata.get("name", ""))
    if "path" in origin:
        file = Path(os.path.normpath(rendering.wrapper / str(origin["path"])))
        document = _matching_document(tree.documents(file), kind, name)
        line = document.line if document else 1
        return Resource(obj, entry, tree.relative(file), line, document)
    if "configuredIn" in origin:
        file = Path(os.path.normpath(rendering.wrapper / str(origin["configuredIn"])))
        return Resource(obj, entry, tree.relative(file), _generator_line(tree.documents(file), name))
    return Resource(obj, entry, tree.relative(kustomization_file(rendering.entry) or rendering.entry), 1)


def _matching_document(documents: list[YamlDocument], kind: str, name: str) -> YamlDocument | None:
    """The source document a rendered object came from: same kind, and the name kustomize built on."""
    same_kind = [doc for doc in documents if isinstance(doc.data, dict) and doc.data.get("kind") == kind]
    if len(same_kind) <= 1:
        return same_kind[0] if same_kind else None
    best: YamlDocument | None = None
    best_length = -1
    for document in same_kind:
        source_name = str((document.data.get("metadata") or {}).get("name", ""))
        if source_name == name:
            return document
        if source_name and source_name in name and len(source_name) > best_length:
            best, best_length = document, len(source_name)
    return best


def _generator_line(documents: list[YamlDocument], name: str) -> int:
    if not documents or not isinstance(documents[0].data, dict):
        return 1
    document = documents[0]
    for field in _GENERATOR_FIELDS:
        generators = document.data.get(field)
        for index, generator in enumerate(generators if isinstance(generators, list) else []):
            if isinstance(generator, dict) and str(generator.get("name", "")) in name:
                return document.line_of([field, index])
    return 1
