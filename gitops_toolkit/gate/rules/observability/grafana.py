"""Grafana's datasources as this repository provisions them: kube-prometheus-stack's built-in Prometheus
(and Alertmanager), its `grafana.additionalDataSources`, and ConfigMaps for the datasource sidecar."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from gitops_toolkit.core.bounded_yaml import YamlRejected, load_yaml_text
from gitops_toolkit.core.resource import Resource

DATASOURCE_LABEL = "grafana_datasource"


@dataclass(frozen=True)
class Datasource:
    name: str
    uid: str
    type: str
    is_default: bool
    where: str  # the file that provisions it
    line: int = 1


# Grafana reads `isDefault` as a boolean value that may be a string (Go's strconv.ParseBool forms).
_TRUE = {"1", "t", "T", "true", "TRUE", "True"}


def grafana_bool(value: Any) -> bool:
    return value is True or (isinstance(value, str | int) and not isinstance(value, bool) and str(value) in _TRUE)


def provisioning_documents(resource: Resource) -> Iterator[tuple[str, Any]]:
    """(key, parsed YAML or the rejection) of every file of a datasource provisioning ConfigMap."""
    for key, text in (resource.obj.get("data") or {}).items():
        try:
            documents = load_yaml_text(str(text))
        except YamlRejected as rejected:
            yield str(key), rejected
            continue
        yield str(key), documents[0].data if documents else {}


def is_datasource_config_map(resource: Resource) -> bool:
    return resource.kind == "ConfigMap" and DATASOURCE_LABEL in (resource.metadata.get("labels") or {})


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
            is_default = grafana_bool(extra.get("isDefault"))
            datasources.append(Datasource(name, uid, kind, is_default, where, line_of(position)))
    return datasources


def from_config_maps(resources: Iterable[Resource]) -> list[Datasource]:
    datasources = []
    for resource in filter(is_datasource_config_map, resources):
        for _, provisioning in provisioning_documents(resource):
            items = provisioning.get("datasources") if isinstance(provisioning, dict) else None
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict):
                    datasources.append(
                        Datasource(
                            str(item.get("name", "")),
                            str(item.get("uid", "")),
                            str(item.get("type", "")),
                            grafana_bool(item.get("isDefault")),
                            resource.path,
                        )
                    )
    return datasources
