"""What the built-in schemas said of each resource last time, by its content: a resource that did not change
is not validated again. One file per Kubernetes version, holding the results of the last runs: shards of one
repository each add theirs, and once it holds four times a run's resources, only the last run's are kept.
Keyed by the schemas' package too; bump _FORMAT when the way schema errors are described changes."""

from __future__ import annotations

import hashlib
import json

from gitops_toolkit.core.cache_directory import KeptMap
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.core.versions import installed_version

SCHEMA_RESULTS = "schema-results"  # the cache kind
_FORMAT = 1
Errors = list[tuple[list[str | int], str]]  # (path of the field, message) per schema error


class SchemaResults:
    def __init__(self, kubernetes_version: str) -> None:
        schemas = installed_version("kubernetes-validate")
        self._kept = KeptMap(SCHEMA_RESULTS, f"{kubernetes_version}-{schemas}-v{_FORMAT}")

    @staticmethod
    def digest(resource: Resource) -> str:
        return hashlib.sha256(json.dumps(resource.obj, sort_keys=True, default=str).encode()).hexdigest()

    def get(self, digest: str) -> Errors | None:
        found = self._kept.get(digest)
        return [(list(path), str(message)) for path, message in found] if isinstance(found, list) else None

    def put(self, digest: str, errors: Errors) -> None:
        self._kept.put(digest, errors)

    def save(self) -> None:
        self._kept.save()
