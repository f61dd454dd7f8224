"""Alertmanager's configuration as kube-prometheus-stack hands it to the pod (`alertmanager.config` of the
merged values): every route names a receiver that exists, and amtool accepts the whole file."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from gitops_toolkit.core.bounded_yaml import YamlDocument
from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.render.charts.values import merged_values_files
from gitops_toolkit.render.read.source_files import SourceFiles
from gitops_toolkit.tools.amtool import check_config

Route = tuple[Mapping[str, Any], list[str | int]]


def _routes(route: Any, path: list[str | int]) -> Iterator[Route]:
    if isinstance(route, Mapping):
        yield route, path
        for position, child in enumerate(route.get("routes") or []):
            yield from _routes(child, [*path, "routes", position])


def check_alertmanager(values: Mapping[str, Any], where: str, document: YamlDocument | None) -> Iterator[Finding]:
    alertmanager = values.get("alertmanager")
    if not isinstance(alertmanager, Mapping) or alertmanager.get("enabled") is False:
        return
    config = alertmanager.get("config")
    if not isinstance(config, Mapping):
        return

    def line_of(path: list[str | int]) -> int:
        return document.line_of(["alertmanager", "config", *path]) if document is not None else 1

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
            valid, report = check_config(config_file)
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


def check_alertmanagers(resources: Iterable[Resource], tree: SourceFiles, root: Path) -> list[Finding]:
    """kube-prometheus-stack's Alertmanager configuration, as the pod will load it, for each Application of it."""
    return [
        finding
        for merged, where, document in merged_values_files(
            resources, "kube-prometheus-stack", "alertmanager", tree, root
        )
        for finding in check_alertmanager(merged, where, document)
    ]
