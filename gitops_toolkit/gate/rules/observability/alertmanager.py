"""Alertmanager's configuration as the pod will load it, wherever the repository writes it: kube-prometheus-stack's
`alertmanager.config` (of the merged values), or the Secret prometheus-operator reads it from: every route names
a receiver that exists, and amtool accepts the whole file."""

from __future__ import annotations

import base64
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from gitops_toolkit.core.bounded_yaml import YamlDocument, YamlRejected, load_yaml_text
from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.render.charts.values import merged_values_files
from gitops_toolkit.render.read.source_files import SourceFiles
from gitops_toolkit.tools.amtool import check_config as amtool_check_config

Route = tuple[Mapping[str, Any], list[str | int]]
LineOf = Callable[[list[str | int]], int]


def _routes(route: Any, path: list[str | int]) -> Iterator[Route]:
    if isinstance(route, Mapping):
        yield route, path
        for position, child in enumerate(route.get("routes") or []):
            yield from _routes(child, [*path, "routes", position])


def check_alertmanager(values: Mapping[str, Any], where: str, document: YamlDocument | None) -> Iterator[Finding]:
    """kube-prometheus-stack's `alertmanager.config`, from the values that set it."""
    alertmanager = values.get("alertmanager")
    if not isinstance(alertmanager, Mapping) or alertmanager.get("enabled") is False:
        return
    config = alertmanager.get("config")
    if isinstance(config, Mapping):

        def line_of(path: list[str | int]) -> int:
            return document.line_of(["alertmanager", "config", *path]) if document is not None else 1

        yield from check_config(config, where, line_of)


def check_config(config: Mapping[str, Any], where: str, line_of: LineOf) -> Iterator[Finding]:
    """An Alertmanager configuration as the pod will load it: every route's receiver defined, and amtool's
    check-config passed."""
    receivers = {str(r.get("name")) for r in config.get("receivers") or [] if isinstance(r, Mapping)}
    for route, path in _routes(config.get("route"), ["route"]):
        receiver = route.get("receiver")
        if receiver is not None and str(receiver) not in receivers:
            yield Finding(
                where,
                line_of([*path, "receiver"]),
                "OBS-ALERTMANAGER-CONFIG",
                f"route sends to receiver `{receiver}`, which `receivers:` does not define; Alertmanager refuses "
                "to load the configuration (and keeps running the old one)",
            )
    with tempfile.TemporaryDirectory(prefix="alertmanager-") as directory:
        config_file = Path(directory) / "alertmanager.yml"
        config_file.write_text(yaml.safe_dump(dict(config), sort_keys=False), encoding="utf-8")
        try:
            valid, report = amtool_check_config(config_file)
        except ToolError as error:
            yield Finding(
                where, line_of([]), "OBS-AMTOOL-MISSING", f"{error}; the configuration was only partly checked"
            )
            return
    if not valid:
        reasons = [line.split("FAILED:", 1)[1].strip() for line in report.splitlines() if "FAILED:" in line]
        yield Finding(
            where,
            line_of([]),
            "OBS-ALERTMANAGER-CONFIG",
            f"amtool check-config refuses the configuration: {reasons[0] if reasons else report or 'no reason'}",
        )


_SECRET_KEY = "alertmanager.yaml"  # where prometheus-operator reads an Alertmanager's configuration


def check_config_secrets(resources: Iterable[Resource]) -> Iterator[Finding]:
    """The configuration prometheus-operator hands an Alertmanager from its Secret (`alertmanager-<name>`, or the
    CR's `configSecret`), key alertmanager.yaml, in `stringData` or base64 in `data` (sealed ones are not
    readable here)."""
    for secret in resources:
        if secret.kind != "Secret" or secret.api_version != "v1" or secret.third_party:
            continue  # a chart's Secret is checked from the values that fill it (check_alertmanager)
        for field in ("stringData", "data"):
            value = (secret.obj.get(field) or {}).get(_SECRET_KEY) if isinstance(secret.obj.get(field), dict) else None
            if not isinstance(value, str):
                continue
            key_line = secret.line_at((field, _SECRET_KEY))
            text = value if field == "stringData" else _decoded(value)
            try:
                documents = load_yaml_text(text)
            except YamlRejected as rejected:
                yield Finding(secret.path, key_line, "OBS-ALERTMANAGER-CONFIG", f"{_SECRET_KEY}: {rejected.message}")
                continue
            if not documents or not isinstance(documents[0].data, Mapping):
                continue
            line_of = _lines_in(documents[0], key_line, field == "stringData")
            yield from check_config(documents[0].data, secret.path, line_of)


def _lines_in(document: YamlDocument, key_line: int, written_out: bool) -> LineOf:
    """Lines in the manifest of a configuration held in one of its values: a block scalar starts on the line after
    its key; base64 has no lines of its own."""
    return lambda path: key_line + document.line_of(path) if written_out else key_line


def _decoded(value: str) -> str:
    try:
        return base64.b64decode(value, validate=True).decode("utf-8", errors="replace")
    except ValueError:
        return ""


def check_alertmanagers(resources: Iterable[Resource], tree: SourceFiles, root: Path) -> list[Finding]:
    """kube-prometheus-stack's Alertmanager configuration, as the pod will load it, for each Application of it."""
    values = merged_values_files(resources, "kube-prometheus-stack", "alertmanager", tree, root)
    return [finding for merged, where, document, _ in values for finding in check_alertmanager(merged, where, document)]
