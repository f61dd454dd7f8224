"""What the built-in schemas said of each resource last time, by its content: a resource that did not change
is not validated again. One file per Kubernetes version, holding the results of the last runs: shards of one
repository each add theirs, and once it holds four times a run's resources, only the last run's are kept.
Keyed by the schemas' package too; bump _FORMAT when the way schema errors are described changes."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from gitops_toolkit.core.cache_directory import read_json, write_json
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.core.versions import installed_version

_KIND = "schema-results"
_FORMAT = 1
_AT_LEAST = 20_000  # results kept whatever the size of the last run
Errors = list[tuple[list[str | int], str]]  # (path of the field, message) per schema error


class SchemaResults:
    def __init__(self, kubernetes_version: str) -> None:
        schemas = installed_version("kubernetes-validate")
        self._key = f"{kubernetes_version}-{schemas}-v{_FORMAT}"
        stored = read_json(_KIND, self._key)
        self._previous: dict[str, Any] = stored if isinstance(stored, dict) else {}
        self._current: dict[str, Errors] = {}

    @staticmethod
    def digest(resource: Resource) -> str:
        return hashlib.sha256(json.dumps(resource.obj, sort_keys=True, default=str).encode()).hexdigest()

    def get(self, digest: str) -> Errors | None:
        found = self._previous.get(digest)
        if not isinstance(found, list):
            return None
        errors = [(list(path), str(message)) for path, message in found]
        self._current[digest] = errors
        return errors

    def put(self, digest: str, errors: Errors) -> None:
        self._current[digest] = errors

    def save(self) -> None:
        kept = {**self._previous, **self._current}
        if len(kept) > max(_AT_LEAST, 4 * len(self._current)):
            kept = dict(self._current)
        if kept != self._previous:
            write_json(_KIND, self._key, kept)
