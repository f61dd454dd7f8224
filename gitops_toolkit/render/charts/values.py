"""A chart's values as Argo CD passes them to Helm: the values files in the Application's order, then `values`,
`valuesObject` and `parameters`, merged as Helm merges them; each layer remembers the file and line it comes
from, so that a finding on a value points at the line that sets it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_toolkit.core.bounded_yaml import YamlDocument, YamlRejected, load_yaml_text
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.render.applications import (
    Source,
    destination_namespace,
    existing_values_files,
    is_application,
    sources,
)
from gitops_toolkit.render.read.source_files import SourceFiles
from gitops_toolkit.tools.helm import parse_set
from gitops_toolkit.tools.helm_engine import HelmError


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's merge of values files: mappings merge, everything else is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class UnreadableValues(Exception):
    """A values file the guard rejected (its findings say why): the release is not rendered."""


@dataclass(frozen=True)
class ValuesLayer:
    """One input of a chart's values, in merge order: a values file, or a field of the Application."""

    where: str  # repository-relative file
    data: dict[str, Any]
    document: YamlDocument | None  # for line numbers
    path_in_document: tuple[str | int, ...] = ()

    def line_of(self, key_path: tuple[str | int, ...]) -> int:
        if self.document is None:
            return 1
        return self.document.line_of([*self.path_in_document, *key_path])

    def sets(self, key_path: tuple[str | int, ...]) -> bool:
        value: Any = self.data
        for part in key_path:
            if not isinstance(value, dict) or part not in value:
                return False
            value = value[part]
        return True


def values_layers(source: Source, tree: SourceFiles, root: Path) -> tuple[ValuesLayer, ...]:
    """The values a source passes to Helm, lowest precedence first, as Argo CD orders them."""
    helm = source.body.get("helm") or {}
    application = source.application
    layers: list[ValuesLayer] = []
    for path in existing_values_files(source, root):  # a missing one: GITOPS-VALUES-FILE reports it
        if isinstance(tree.load(path), YamlRejected):
            raise UnreadableValues(tree.relative(path))
        documents = tree.documents(path)
        if documents and isinstance(documents[0].data, dict):
            layers.append(ValuesLayer(tree.relative(path), documents[0].data, documents[0]))
    inline = helm.get("values")
    if isinstance(inline, str) and inline.strip():
        try:
            documents = load_yaml_text(inline)  # bounded like every file: no alias bomb reaches Helm
        except YamlRejected as rejected:
            raise HelmError(f"helm.values: {rejected.message}") from None
        if documents and isinstance(documents[0].data, dict):
            layers.append(ValuesLayer(application.path, documents[0].data, None))
    if isinstance(helm.get("valuesObject"), dict):
        path_in_manifest = (*source.path_in_manifest, "helm", "valuesObject")
        layers.append(ValuesLayer(application.path, helm["valuesObject"], application.source, path_in_manifest))
    parameters: dict[str, Any] = {}
    for parameter in helm.get("parameters") or []:
        if isinstance(parameter, dict) and parameter.get("name"):
            parameters = deep_merge(parameters, _parameter_values(parameter))
    if parameters:
        path_in_manifest = (*source.path_in_manifest, "helm", "parameters")
        layers.append(ValuesLayer(application.path, parameters, application.source, path_in_manifest))
    return tuple(layers)


def _parameter_values(parameter: dict[str, Any]) -> dict[str, Any]:
    """A `--set` (or `--set-string` when forceString) parameter as a values tree."""
    return parse_set(str(parameter["name"]), str(parameter.get("value", "")), parameter.get("forceString") is True)


def application_values(applications: Iterable[Resource], tree: SourceFiles, root: Path) -> dict[str, list[ValuesLayer]]:
    """Every values layer each Application passes its charts, by Application name; a source whose values
    cannot be read is left out (the gate reports it)."""
    found: dict[str, list[ValuesLayer]] = {}
    for application in applications:
        layers = found.setdefault(application.ref.name, [])
        for source in sources(application):
            if not source.chart:
                continue
            try:
                layers += values_layers(source, tree, root)
            except (UnreadableValues, HelmError):
                continue
    return found


def merged_values_files(
    resources: Iterable[Resource], chart: str, key: str, tree: SourceFiles, root: Path
) -> Iterator[tuple[dict[str, Any], str, YamlDocument | None, str]]:
    """For each Application source of `chart`: its values files merged as Helm merges them, the file that sets
    `key` last (else the Application's), that file's document (for line look-ups), and the namespace the
    Application installs the chart into."""
    for application in filter(is_application, resources):
        for source in sources(application):
            if source.chart != chart:
                continue
            merged: dict[str, Any] = {}
            where, document = application.path, None
            for path in existing_values_files(source, root):
                documents = tree.documents(path)
                if documents and isinstance(documents[0].data, dict):
                    merged = deep_merge(merged, documents[0].data)
                    if key in documents[0].data:
                        where, document = tree.relative(path), documents[0]
            yield merged, where, document, destination_namespace(application)
