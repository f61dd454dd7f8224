"""What the schemas and the rules found in an entry point deployed on its own, kept for the next run. Such a set
is one kustomize rendering, so its findings follow from what the render cache keys on (every file the entry's
closure reads, kubectl's version, the limits) and from this run's context: the gate's own code and the versions
of its schema packages, the site settings, the repository facts the rules read, the CRDs the catalog holds and
the Kubernetes version. An overlay nothing of that changed for is neither validated nor checked again; any other
change starts every entry afresh. Sets Argo CD deploys together (the cluster) are always checked."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import gitops_toolkit
from gitops_toolkit.core.cache_directory import prune, read_json, write_json
from gitops_toolkit.core.findings import Finding, ResourceRef
from gitops_toolkit.core.gate_settings import GateConfig
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.core.versions import installed_version
from gitops_toolkit.gate.rules.repository_facts import RepositoryFacts

_KIND = "entry-results"
_FORMAT = 1
_KEEP = 4096  # entries kept: a monorepo's entry points, a few contexts each


@cache
def _code_digest() -> str:
    """The gate's code as it is on disk (an edited rule must not reuse what the old one found)."""
    digest = hashlib.sha256()
    for path in sorted(Path(gitops_toolkit.__file__).parent.rglob("*.py")):
        digest.update(path.as_posix().encode() + b"\0" + path.read_bytes())
    for package in ("jsonschema", "kubernetes-validate"):
        digest.update(f"{package}={installed_version(package)}".encode())
    return digest.hexdigest()


def _canonical(value: Any) -> Any:
    """Plain data in one order whatever the process's hash seed: maps as sorted pairs, sets sorted."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [type(value).__name__, _canonical({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})]
    if isinstance(value, dict) or hasattr(value, "items"):
        return sorted((json.dumps(_canonical(key)), _canonical(item)) for key, item in value.items())
    if isinstance(value, (set, frozenset)):
        return sorted(json.dumps(_canonical(item)) for item in value)
    if isinstance(value, (list, tuple)):
        return [_canonical(item) for item in value]
    return value if value is None or isinstance(value, (str, int, float, bool)) else repr(value)


def run_context(config: GateConfig, facts: RepositoryFacts, crds: str, kubernetes_version: str) -> str:
    """The digest of everything beyond an entry's own files that its schema and rule findings depend on."""
    parts = [_FORMAT, _code_digest(), _canonical(config), _canonical(facts), crds, kubernetes_version]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def single_rendering(deployed: Sequence[Resource], originals: frozenset[int], closure_keys: dict[str, str]) -> str:
    """The closure key of the one kustomize entry point a deployed set holds, unchanged (not placed in an
    Application's namespace); "" for any other set."""
    entries = {resource.entry for resource in deployed}
    if len(entries) != 1 or not all(id(resource) in originals for resource in deployed):
        return ""
    return closure_keys.get(next(iter(entries)), "")


class EntryResults:
    """Findings and broken resources (by position in the set) of single-entry sets, by closure key and context."""

    def __init__(self, context: str) -> None:
        self._context = context
        self._written = False

    def _key(self, closure_key: str) -> str:
        return hashlib.sha256(f"{closure_key}\0{self._context}".encode()).hexdigest()

    def get(self, closure_key: str) -> tuple[list[Finding], list[int]] | None:
        stored = read_json(_KIND, self._key(closure_key)) if closure_key else None
        if not isinstance(stored, dict):
            return None
        try:
            findings = [
                Finding(path, line, rule, message, ResourceRef(kind, namespace, name))
                for path, line, rule, message, kind, namespace, name in stored["findings"]
            ]
            return findings, [int(position) for position in stored["broken"]]
        except (KeyError, TypeError, ValueError):  # written by a different version: check again
            return None

    def put(self, closure_key: str, findings: list[Finding], broken: list[int]) -> None:
        rows = [
            [f.path, f.line, f.rule, f.message, f.resource.kind, f.resource.namespace, f.resource.name]
            for f in findings
        ]
        write_json(_KIND, self._key(closure_key), {"findings": rows, "broken": broken})
        self._written = True

    def close(self) -> None:
        if self._written:
            prune(_KIND, _KEEP)
