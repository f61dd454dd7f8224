"""Grafana's datasources as this repository provisions them: kube-prometheus-stack's built-in Prometheus
(and Alertmanager), its `grafana.additionalDataSources`, and ConfigMaps for the datasource sidecar."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_toolkit.core.bounded_yaml import YamlDocument, YamlRejected, load_yaml_text
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.render.charts.values import merged_values_files
from gitops_toolkit.render.read.source_files import SourceFiles

DATASOURCE_LABEL = "grafana_datasource"


@dataclass(frozen=True)
class Datasource:
    name: str
    uid: str
    type: str
    is_default: bool
    where: str  # the file that provisions it
    line: int = 1  # of its isDefault
    url: str = ""
    url_line: int = 1
    namespace: str = ""  # Grafana's, which a short host name in `url` resolves in ("": not known)


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


def from_kube_prometheus_stack(
    values: Mapping[str, Any], where: str, line_of: Callable[[int, str], int] = lambda *_: 1, namespace: str = ""
) -> list[Datasource]:
    """`line_of(i, field)` is the line of a field of the i-th additional datasource in `where`."""
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
            url = str(extra.get("url") or "")
            datasources.append(
                Datasource(
                    name,
                    uid,
                    kind,
                    is_default,
                    where,
                    line_of(position, "isDefault"),
                    url,
                    line_of(position, "url"),
                    namespace,
                )
            )
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
                            url=str(item.get("url") or ""),
                            url_line=resource.line,
                            namespace=resource.ref.namespace,  # where the sidecar's Grafana usually runs
                        )
                    )
    return datasources


def provisioned_datasources(resources: list[Resource], tree: SourceFiles, root: Path) -> tuple[Datasource, ...]:
    """Datasources of kube-prometheus-stack's Grafana, read from its values (so that findings point at the line
    that sets them; its rendered ConfigMap says the same), and of the repository's datasource ConfigMaps."""
    found: list[Datasource] = []
    values = merged_values_files(resources, "kube-prometheus-stack", "grafana", tree, root)
    for merged, where, document, namespace in values:

        def line_of(position: int, field: str, document: YamlDocument | None = document) -> int:
            path: list[str | int] = ["grafana", "additionalDataSources", position, field]
            return document.line_of(path) if document is not None else 1

        found += from_kube_prometheus_stack(merged, where, line_of, namespace)
    return (*found, *from_config_maps([resource for resource in resources if not resource.third_party]))
