"""Rendering and inspecting charts with Helm's engine: Helm 4's Go SDK in-process (the default, no binary
needed), or a `helm` binary a user points the gate at. Plain data in, rendered manifests out, HelmError for
anything that fails. Only the render layer uses it."""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_toolkit.tools.helm_engine import ChartFacts, HelmError, one_line, sdk

_BINARY_TIMEOUT_SECONDS = 120
_SOURCE_MARKER = "# Source: "


@dataclass(frozen=True)
class RenderRequest:
    archive: Path
    values: dict[str, Any]
    release: str
    namespace: str
    kube_version: str  # e.g. "1.37.0"
    api_versions: tuple[str, ...] = ()  # group/version of custom resources the cluster serves
    include_crds: bool = True


def chart_facts(archive: Path) -> ChartFacts:
    helm_python = sdk()
    try:
        with helm_python.Chart.load(archive) as chart:
            metadata = chart.metadata
            # Coalesced with its subcharts' defaults; coalescing drops keys whose default is null: keep them.
            defaults = _with_missing_keys(chart.merge_values({}), chart.values)
            name, version = str(metadata.get("name")), str(metadata.get("version"))
            crds = tuple(crd["data"] for crd in chart.crds)
            return ChartFacts(name, version, defaults, chart.schema, crd_texts=crds)
    except helm_python.HelmError as error:
        raise HelmError(f"cannot load {archive.name}: {one_line(error)}") from None


def _with_missing_keys(merged: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    for key, value in raw.items():
        if key not in merged:
            merged[key] = value
        elif isinstance(value, dict) and isinstance(merged[key], dict):
            _with_missing_keys(merged[key], value)
    return merged


def schema_violation(archive: Path, values: dict[str, Any]) -> str | None:
    """Helm's message when `values` break the chart's values.schema.json, else None."""
    helm_python = sdk()
    try:
        with helm_python.Chart.load(archive) as chart:
            chart.validate_schema(values)
    except helm_python.HelmValuesError as error:
        return one_line(error)
    except helm_python.HelmError as error:
        raise HelmError(f"cannot load {archive.name}: {one_line(error)}") from None
    return None


def render(request: RenderRequest, helm_binary: Path | None = None) -> list[tuple[str, str]]:
    """(template path, manifest text) for every template that produced output, chart CRDs first when included.
    The chart is loaded afresh for every render: rendering drops disabled subcharts from a loaded chart."""
    if helm_binary is not None:
        return _render_with_binary(request, helm_binary)
    helm_python = sdk()
    from helm_python import _native  # the native call takes the Kubernetes and API versions; render() does not

    options = {
        "name": request.release,
        "namespace": request.namespace,
        "kube_version": f"v{request.kube_version.removeprefix('v')}",
        "api_versions": list(request.api_versions),
        "is_install": True,
    }
    try:
        with helm_python.Chart.load(request.archive) as chart:
            crds = [(crd["name"], crd["data"]) for crd in chart.crds] if request.include_crds else []
            rendered = _native.call_string("helm_render", chart._raw(), json.dumps(request.values), json.dumps(options))
    except helm_python.HelmError as error:
        raise HelmError(one_line(error)) from None
    templates: dict[str, str] = json.loads(rendered)
    return crds + [
        (name, text) for name, text in sorted(templates.items()) if not name.endswith("NOTES.txt") and text.strip()
    ]


def _render_with_binary(request: RenderRequest, helm_binary: Path) -> list[tuple[str, str]]:
    with tempfile.NamedTemporaryFile("w", suffix=".json") as values_file:
        json.dump(request.values, values_file)
        values_file.flush()
        command = [
            str(helm_binary),
            "template",
            request.release,
            str(request.archive),
            "--namespace",
            request.namespace,
            "--values",
            values_file.name,
            "--kube-version",
            request.kube_version.removeprefix("v"),
            *[argument for version in request.api_versions for argument in ("--api-versions", version)],
            *(["--include-crds"] if request.include_crds else []),
        ]
        try:
            completed = subprocess.run(
                command, capture_output=True, text=True, timeout=_BINARY_TIMEOUT_SECONDS, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise HelmError(f"{helm_binary}: {one_line(error)}") from None
    if completed.returncode != 0:
        lines = [line for line in completed.stderr.splitlines() if line.strip()]
        raise HelmError((lines[0] if lines else f"helm exited {completed.returncode}").removeprefix("Error: "))
    return _split_by_source(completed.stdout)


def _split_by_source(stream: str) -> list[tuple[str, str]]:
    """`helm template` output, one entry per document, named by the `# Source:` comment Helm writes."""
    documents: list[tuple[str, str]] = []
    for document in stream.split("\n---"):
        lines = document.strip("\n-").splitlines()
        name = next((line.removeprefix(_SOURCE_MARKER) for line in lines if line.startswith(_SOURCE_MARKER)), "")
        if any(line.strip() and not line.startswith("#") for line in lines):
            documents.append((name or "(unnamed)", "\n".join(lines) + "\n"))
    return documents


def parse_set(name: str, value: str, force_string: bool) -> dict[str, Any]:
    """One `--set name=value` (or `--set-string`) as the values tree Helm builds from it."""
    helm_python = sdk()
    escaped = value.replace("\\", "\\\\").replace(",", "\\,")  # Argo CD passes one value, commas included
    try:
        parse = helm_python.parse_set_string_values if force_string else helm_python.parse_set_string
        parsed: dict[str, Any] = parse(f"{name}={escaped}")
    except helm_python.HelmError as error:
        raise HelmError(f"parameter {name}: {one_line(error)}") from None
    return parsed
