"""A chart release rendered twice (to see output that changes between renders), with its values checked against
the chart's schema; and what the chart declares. Both are pure functions of the archive (pinned by sha256) and
the inputs, so they are cached by content under $XDG_CACHE_HOME/gitops-toolkit: unchanged charts cost only a
file read on the next run."""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import importlib.metadata
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gitops_toolkit.cache import cache_root
from gitops_toolkit.files import write_atomic
from gitops_toolkit.tools.helm import ChartFacts, HelmError, RenderRequest, chart_facts, render, schema_violation
from gitops_toolkit.yaml_safety import load_trusted_yaml

_CACHE_FORMAT = 2
_MAX_CHANGED_LINES = 3


def _engine_version() -> str:
    try:
        return importlib.metadata.version("helm-python-sdk")
    except importlib.metadata.PackageNotFoundError:
        return "absent"


@dataclass(frozen=True)
class RenderOutcome:
    # (template, its objects, or why they are not YAML) of the first render, parsed once: JSON reloads quicker
    rendered: list[tuple[str, list[Any] | str]] = field(default_factory=list)
    differences: list[tuple[str, list[str]]] = field(default_factory=list)  # template, lines the second changed
    schema_violation: str | None = None
    error: str | None = None


def _cached(kind: str, key: str) -> Any:
    path = cache_root() / kind / f"{key}-v{_CACHE_FORMAT}.json"
    with contextlib.suppress(OSError, ValueError):
        return json.loads(path.read_text(encoding="utf-8"))
    return None


def _store(kind: str, key: str, content: Any) -> None:
    """Best-effort: an unwritable cache only costs speed."""
    with contextlib.suppress(OSError):
        write_atomic(cache_root() / kind / f"{key}-v{_CACHE_FORMAT}.json", json.dumps(content))


def facts_of(archive: Path, sha256: str) -> ChartFacts:
    cached = _cached("chart-facts", sha256)
    if isinstance(cached, dict):
        with contextlib.suppress(KeyError, TypeError, ValueError):
            return _facts_from(cached)
    facts = chart_facts(archive)
    _store(
        "chart-facts",
        sha256,
        {
            "name": facts.name,
            "version": facts.version,
            "defaults": facts.defaults,
            "schema": facts.schema,
            "crd_texts": list(facts.crd_texts),
            "capability_gated": sorted(facts.capability_gated),
        },
    )
    return facts


def _facts_from(cached: dict[str, Any]) -> ChartFacts:
    return ChartFacts(
        str(cached["name"]),
        str(cached["version"]),
        dict(cached["defaults"]),
        cached["schema"],
        tuple(cached["crd_texts"]),
        frozenset(cached["capability_gated"]),
    )


def _changed_lines(first: str, second: str) -> list[str]:
    return [
        line[1:].strip()
        for line in difflib.unified_diff(first.splitlines(), second.splitlines(), n=0)
        if line.startswith("-") and not line.startswith("---")
    ][:_MAX_CHANGED_LINES]


def _render_twice(request: RenderRequest, helm_binary: Path | None, check_schema: bool) -> RenderOutcome:
    try:
        violation = schema_violation(request.archive, request.values) if check_schema else None
        if violation:
            return RenderOutcome(schema_violation=violation)  # Helm renders nothing for values its schema refuses
        first = render(request, helm_binary)
        again = dict(render(request, helm_binary))
    except HelmError as error:
        return RenderOutcome(error=str(error))
    differences = [
        (template, _changed_lines(text, again.get(template, "")))
        for template, text in first
        if again.get(template) != text
    ]
    return RenderOutcome([(template, _objects(text)) for template, text in first], differences)


def _objects(text: str) -> list[Any] | str:
    try:
        return load_trusted_yaml(text)
    except yaml.YAMLError as error:
        return " ".join(str(error).split())[:300]


def outcome_of(request: RenderRequest, sha256: str, helm_binary: Path | None, check_schema: bool) -> RenderOutcome:
    inputs = {
        "archive": sha256,
        "values": request.values,
        "release": request.release,
        "namespace": request.namespace,
        "kube_version": request.kube_version,
        "api_versions": list(request.api_versions),
        "include_crds": request.include_crds,
        "engine": str(helm_binary) if helm_binary else f"helm-python-sdk {_engine_version()}",
        "schema": check_schema,
    }
    key = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()
    cached = _cached("chart-renders", key)
    if isinstance(cached, dict):
        with contextlib.suppress(KeyError, TypeError, ValueError):
            return RenderOutcome(
                [(str(name), objects) for name, objects in cached["rendered"]],
                [(str(template), [str(line) for line in lines]) for template, lines in cached["differences"]],
                cached["schema_violation"],
                cached["error"],
            )
    outcome = _render_twice(request, helm_binary, check_schema)
    if helm_binary is None:  # a binary can change under the same path: never cache what it renders
        _store("chart-renders", key, asdict(outcome))
    return outcome
