"""Stage 4: turn rendered YAML into resources that remember the source file and line a person edits.

Kustomize can annotate each object with its origin, but that nearly doubles the cost of rendering;
instead each rendered object is matched to the document that declared it, among the resource files
and generators of the kustomizations its entry point uses (kind plus the name kustomize built on)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gitops_toolkit.core.bounded_yaml import YamlDocument, YamlRejected, load_trusted_yaml
from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.render.read.kustomization import Kustomization
from gitops_toolkit.render.read.source_files import SourceFiles

_GENERATED_KINDS = {"configMapGenerator": "ConfigMap", "secretGenerator": "Secret"}


@dataclass(frozen=True)
class _Declaration:
    kind: str
    name: str
    path: str
    line: int
    document: YamlDocument | None
    group: str | None = None  # None: any (a generator)
    namespace: str = ""


def api_group(api_version: str) -> str:
    return api_version.rpartition("/")[0]


def document_objects(document: YamlDocument) -> list[YamlDocument]:
    """The objects a document declares: itself, or each item of a `kind: List` (kustomize unpacks them)."""
    data = document.data
    items = data.get("items") if isinstance(data, dict) and str(data.get("kind", "")).endswith("List") else None
    if not isinstance(items, list):
        return [document]
    return [item for position in range(len(items)) if (item := document.sub_document(["items", position]))]


class SourceLocator:
    """Where the objects of one entry point were declared."""

    def __init__(self, tree: SourceFiles, closure: list[Kustomization]) -> None:
        self._declarations: dict[str, list[_Declaration]] = {}
        for kustomization in closure:
            # A base a hundred overlays share is read once a run, not once an overlay.
            key = ("declarations", kustomization.file)
            if key not in tree.derived:
                tree.derived[key] = [*_resource_files(tree, kustomization), *_generators(tree, kustomization)]
            for declaration in tree.derived[key]:
                self._declarations.setdefault(declaration.kind, []).append(declaration)
        self.entry_file = tree.relative(closure[0].file)  # the guard puts the entry point's own first

    def locate(self, group: str, kind: str, namespace: str, name: str) -> _Declaration:
        """The declaration of this group, kind and name (in this namespace if one declares it, else one that
        leaves the namespace to kustomize), else the one whose name kustomize extended (prefix, suffix, hash)
        the most specifically, else the entry point itself."""
        candidates = [
            declaration
            for declaration in self._declarations.get(kind, [])
            if declaration.group is None or declaration.group == group
        ]
        exact = [declaration for declaration in candidates if declaration.name == name]
        if exact:
            return min(exact, key=lambda d: 0 if d.namespace == namespace else 1 if not d.namespace else 2)
        extended = [declaration for declaration in candidates if declaration.name and declaration.name in name]
        if extended:
            return max(extended, key=lambda declaration: len(declaration.name))
        return _Declaration(kind, name, self.entry_file, 1, None)


def _resource_files(tree: SourceFiles, kustomization: Kustomization) -> Iterator[_Declaration]:
    for reference in kustomization.references:
        file = kustomization.directory / reference.value
        if not reference.declares_resources or not file.is_file():
            continue
        for obj in (obj for document in tree.documents(file) for obj in document_objects(document)):
            if isinstance(obj.data, dict):
                metadata = obj.data.get("metadata")
                metadata = metadata if isinstance(metadata, dict) else {}
                yield _Declaration(
                    str(obj.data.get("kind", "")),
                    str(metadata.get("name", "")),
                    tree.relative(file),
                    obj.line,
                    obj,
                    api_group(str(obj.data.get("apiVersion", ""))),
                    str(metadata.get("namespace") or ""),
                )


def _generators(tree: SourceFiles, kustomization: Kustomization) -> Iterator[_Declaration]:
    """A generator is declared in its kustomization, unless it wraps exactly one file (a dashboard JSON, a
    config file): then that file is what a person edits."""
    documents = tree.documents(kustomization.file)
    if not documents or not isinstance(documents[0].data, dict):
        return
    for field, kind in _GENERATED_KINDS.items():
        generators = documents[0].data.get(field)
        for index, generator in enumerate(generators if isinstance(generators, list) else []):
            if not isinstance(generator, dict):
                continue
            files: list[Any] = generator["files"] if isinstance(generator.get("files"), list) else []
            wrapped = kustomization.directory / str(files[0]).split("=", 1)[-1] if len(files) == 1 else None
            if wrapped is not None and not generator.get("literals") and not generator.get("envs"):
                yield _Declaration(kind, str(generator.get("name", "")), tree.relative(wrapped), 1, None)
            else:
                line = documents[0].line_of([field, index])
                yield _Declaration(kind, str(generator.get("name", "")), tree.relative(kustomization.file), line, None)


def parse_rendering(
    entry_point: Path,
    text: str,
    tree: SourceFiles,
    closure: list[Kustomization],
    entry: str = "",
    objects: list[Any] | None = None,
) -> tuple[list[Resource], list[Finding]]:
    """The objects kustomize rendered for an entry point (`objects`, when the text was parsed already), each at
    the file and line that declares it; `entry` names what they are filed under (default: the entry point's
    path)."""
    locator = SourceLocator(tree, closure)
    try:
        objects = load_trusted_yaml(text) if objects is None else objects
    except yaml.YAMLError as error:
        return [], [Finding(locator.entry_file, 1, "RENDER-FAILED", f"kustomize output is not YAML: {error}")]
    if not all(isinstance(obj, dict) for obj in objects):
        return [], [Finding(locator.entry_file, 1, "RENDER-FAILED", "kustomize output holds a non-object document")]
    entry = entry or tree.relative(entry_point)
    resources = []
    for obj in objects:
        metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        declaration = locator.locate(
            api_group(str(obj.get("apiVersion", ""))),
            str(obj.get("kind", "")),
            str(metadata.get("namespace") or ""),
            str(metadata.get("name", "")),
        )
        resources.append(Resource(obj, entry, declaration.path, declaration.line, declaration.document))
    return resources, []


def load_plain_directory(tree: SourceFiles, directory: Path, recurse: bool) -> tuple[list[Resource], list[Finding]]:
    """A directory without a kustomization, read as Argo CD reads one: every YAML or JSON manifest in it."""
    entry = tree.relative(directory)
    pattern = "**/*" if recurse else "*"
    resources: list[Resource] = []
    findings: list[Finding] = []
    for file in sorted(directory.glob(pattern)):
        if file.suffix not in (".yaml", ".yml", ".json") or not file.is_file():
            continue
        loaded = tree.load(file)
        if isinstance(loaded, YamlRejected):
            findings.append(Finding(tree.relative(file), loaded.line or 1, loaded.rule, loaded.message))
            continue
        for obj in (obj for document in loaded for obj in document_objects(document)):
            if isinstance(obj.data, dict) and "kind" in obj.data:
                resources.append(Resource(obj.data, entry, tree.relative(file), obj.line, obj))
    return resources, findings
