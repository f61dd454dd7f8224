"""Grafana's datasources as this repository provisions them: kube-prometheus-stack's built-in Prometheus
(and Alertmanager), its `grafana.additionalDataSources`, and ConfigMaps for the datasource sidecar."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from gitops_toolkit.gate.resource import Resource

DATASOURCE_LABEL = "grafana_datasource"


@dataclass(frozen=True)
class Datasource:
    name: str
    uid: str
    type: str
    is_default: bool
    where: str  # the file that provisions it
    line: int = 1


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's merge of values files: mappings merge, everything else is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def from_kube_prometheus_stack(
    values: Mapping[str, Any], where: str, line_of: Callable[[int], int] = lambda _: 1
) -> list[Datasource]:
    """`line_of(i)` is the line of the i-th additional datasource in `where`."""
    grafana = values.get("grafana") or {}
    if grafana.get("enabled") is False:
        return []
    sidecar = (grafana.get("sidecar") or {}).get("datasources") or {}
    datasources = []
    if sidecar.get("defaultDatasourceEnabled", True):
        is_default = bool(sidecar.get("isDefaultDatasource", True))
        datasources.append(Datasource("Prometheus", "prometheus", "prometheus", is_default, where))
        datasources.append(Datasource("Alertmanager", "alertmanager", "alertmanager", False, where))
    for position, extra in enumerate(grafana.get("additionalDataSources") or []):
        if isinstance(extra, dict):
            name, uid, kind = str(extra.get("name", "")), str(extra.get("uid", "")), str(extra.get("type", ""))
            datasources.append(Datasource(name, uid, kind, extra.get("isDefault") is True, where, line_of(position)))
    return datasources


def from_config_maps(resources: Iterable[Resource]) -> list[Datasource]:
    datasources = []
    for resource in resources:
        labels = resource.metadata.get("labels") or {}
        if resource.kind != "ConfigMap" or DATASOURCE_LABEL not in labels:
            continue
        for text in (resource.obj.get("data") or {}).values():
            try:
                provisioning = yaml.safe_load(str(text)) or {}
            except yaml.YAMLError:
                continue
            for item in provisioning.get("datasources") or [] if isinstance(provisioning, dict) else []:
                if isinstance(item, dict):
                    datasources.append(
                        Datasource(
                            str(item.get("name", "")),
                            str(item.get("uid", "")),
                            str(item.get("type", "")),
                            item.get("isDefault") is True,
                            resource.path,
                        )
                    )
    return datasources
