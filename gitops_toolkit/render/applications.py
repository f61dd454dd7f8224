"""Argo CD Applications among the rendered resources: their sources, resolved against this repository.
following.py renders every repository path they name (kustomization or plain directory) and reads the
manifests their values files embed (`extraObjects`); the gate's GitOps rules judge the rest."""

from __future__ import annotations

import copy
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_toolkit.core.resource import CLUSTER_SCOPED, Resource
from gitops_toolkit.render.read.source_files import SourceFiles

APPLICATION_API = "argoproj.io/v1alpha1"
VALUES_PREFIX = "$values/"
# What Argo CD applies to a path before it builds it (`kustomize edit ...`, see kustomize_overrides.py).
KUSTOMIZE_FIELDS = (
    "namePrefix",
    "nameSuffix",
    "namespace",
    "commonLabels",
    "commonAnnotations",
    "images",
    "replicas",
    "patches",
    "components",
)
_UNSET: tuple[Any, ...] = (None, "", [], {})


@dataclass(frozen=True)
class Source:
    """One entry of an Application's `source` or `sources`, with where it sits in the manifest."""

    application: Resource
    body: dict[str, Any]
    path_in_manifest: tuple[str | int, ...]

    @property
    def repo_url(self) -> str:
        return str(self.body.get("repoURL", ""))

    @property
    def chart(self) -> str:
        return str(self.body.get("chart", ""))

    @property
    def path(self) -> str:
        return str(self.body.get("path", ""))

    @property
    def revision(self) -> str:
        return str(self.body.get("targetRevision", ""))

    @property
    def kustomize_settings(self) -> dict[str, Any]:
        """The settings of `kustomize:` that change what Argo CD builds from the path (none: built as it is)."""
        settings = self.body.get("kustomize")
        if not isinstance(settings, dict):
            return {}
        return {key: value for key, value in settings.items() if key in KUSTOMIZE_FIELDS and value not in _UNSET}

    def value_files(self) -> list[str]:
        files = (self.body.get("helm") or {}).get("valueFiles") or []
        return [str(name) for name in files]


def is_application(resource: Resource) -> bool:
    return resource.kind == "Application" and resource.api_version == APPLICATION_API


def same_repository(url: str, ours: str) -> bool:
    def normal(text: str) -> str:
        return text.strip().rstrip("/").removesuffix(".git").lower()

    return bool(ours) and normal(url) == normal(ours)


def sources(application: Resource) -> Iterator[Source]:
    spec = application.obj.get("spec") or {}
    if isinstance(spec.get("source"), dict):
        yield Source(application, spec["source"], ("spec", "source"))
    for position, body in enumerate(spec.get("sources") or []):
        if isinstance(body, dict):
            yield Source(application, body, ("spec", "sources", position))


def repository_paths(applications: list[Resource], repository_url: str, root: Path) -> dict[Path, list[Source]]:
    """Directories of this repository that Applications deploy, with the sources that name them."""
    paths: dict[Path, list[Source]] = {}
    for application in applications:
        for source in sources(application):
            if same_repository(source.repo_url, repository_url) and source.path and not source.chart:
                paths.setdefault((root / source.path).resolve(), []).append(source)
    return paths


def values_file(source: Source, value_file: str, root: Path) -> Path | None:
    """The repository file a `$values/...` entry names (the `ref: values` source must be this repository)."""
    if not value_file.startswith(VALUES_PREFIX):
        return None
    return root / value_file.removeprefix(VALUES_PREFIX)


def existing_values_files(source: Source, root: Path) -> Iterator[Path]:
    """The repository values files a source names that exist, in the order Helm merges them."""
    for name in source.value_files():
        path = values_file(source, name, root)
        if path is not None and path.is_file():
            yield path


def destination_namespace(application: Resource) -> str:
    spec = application.obj.get("spec")
    destination = spec.get("destination") if isinstance(spec, dict) else None
    namespace = destination.get("namespace") if isinstance(destination, dict) else None
    return str(namespace) if isinstance(namespace, str) else ""


EMBEDDED_SUFFIX = "#extraObjects"
CHART_ENTRY_PREFIX = "Application "


def chart_entry(application: Resource, source: Source) -> str:
    """The entry point a chart's output is filed under: which Application renders which chart."""
    return f"{CHART_ENTRY_PREFIX}{application.ref.name}: chart {source.chart} {source.revision}"


def kustomize_entry(application: Resource, source: Source) -> str:
    """The entry point a path built with the Application's kustomize settings is filed under."""
    path = posixpath.normpath(source.path.strip("/"))
    return f"{CHART_ENTRY_PREFIX}{application.ref.name}: {path} with its kustomize settings"


def deployed_entries(application: Resource, url: str) -> set[str]:
    """The rendered entries that hold this Application's resources: the repository paths it deploys (built with
    its kustomize settings when it has any), the charts it installs, and the manifests its values files embed."""
    entries = set()
    for source in sources(application):
        if same_repository(source.repo_url, url) and source.path and not source.chart:
            entries.add(posixpath.normpath(source.path.strip("/")))
            if source.kustomize_settings:
                entries.add(kustomize_entry(application, source))
        if source.chart:
            entries.add(chart_entry(application, source))
        for value_file in source.value_files():
            if value_file.startswith(VALUES_PREFIX):
                entries.add(posixpath.normpath(value_file.removeprefix(VALUES_PREFIX).strip("/")) + EMBEDDED_SUFFIX)
    return entries


def embedded_objects(tree: SourceFiles, values_path: Path, application: Resource) -> list[Resource]:
    """Manifests a values file carries under `extraObjects`, as resources of the Application that uses it,
    in its destination namespace unless they name one."""
    namespace = destination_namespace(application)
    relative = tree.relative(values_path)
    resources = []
    for document in tree.documents(values_path)[:1]:
        items = document.data.get("extraObjects") if isinstance(document.data, dict) else None
        for position, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, dict):
                continue
            obj = copy.deepcopy(item)
            metadata = obj.setdefault("metadata", {})
            if isinstance(metadata, dict) and namespace and obj.get("kind") not in CLUSTER_SCOPED:
                metadata.setdefault("namespace", namespace)
            embedded = document.sub_document(["extraObjects", position])
            line = document.line_of(["extraObjects", position])
            resources.append(Resource(obj, f"{relative}{EMBEDDED_SUFFIX}", relative, line, embedded))
    return resources
