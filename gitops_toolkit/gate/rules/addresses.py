"""Service addresses written in env values (`cartservice:7070`, `svc.ns.svc.cluster.local:4317`), resolved
against the rendered Services. Shared by the address rule and the network-policy call check."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from gitops_toolkit.core.resource import Resource
from gitops_toolkit.gate.rules.index import Container, PodTemplate, ResourceIndex

_HOST_PORT = re.compile(
    r"^(?P<host>[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*):(?P<port>\d{1,5})$"
)
_CLUSTER_SUFFIXES = ((), ("svc",), ("svc", "cluster", "local"))


@dataclass(frozen=True)
class EnvValue:
    name: str
    value: str
    path: tuple[str | int, ...]  # of the env entry inside the workload


@dataclass(frozen=True)
class Address:
    """A host:port env value naming an in-cluster Service."""

    caller: PodTemplate
    container: Container
    env: EnvValue
    service: str
    namespace: str
    port: int

    @property
    def text(self) -> str:
        return self.env.value


def env_values(index: ResourceIndex, container: Container, namespace: str) -> Iterator[EnvValue]:
    """Literal env values, and values taken from ConfigMaps rendered alongside (one key, or all of them
    through envFrom)."""
    env = container.body.get("env")
    for position, item in enumerate(env if isinstance(env, list) else []):
        if not isinstance(item, dict):
            continue
        path = (*container.path, "env", position)
        if isinstance(item.get("value"), str):
            yield EnvValue(str(item.get("name")), item["value"], path)
            continue
        reference = (item.get("valueFrom") or {}).get("configMapKeyRef")
        if isinstance(reference, dict):
            config_map = index.get("ConfigMap", namespace, str(reference.get("name")))
            data: Mapping[str, Any] = (config_map.obj.get("data") or {}) if config_map else {}
            value = data.get(str(reference.get("key")))
            if isinstance(value, str):
                yield EnvValue(str(item.get("name")), value, path)
    env_from = container.body.get("envFrom")
    for position, source in enumerate(env_from if isinstance(env_from, list) else []):
        reference = source.get("configMapRef") if isinstance(source, dict) else None
        config_map = (
            index.get("ConfigMap", namespace, str(reference.get("name"))) if isinstance(reference, dict) else None
        )
        for key, value in ((config_map.obj.get("data") or {}) if config_map else {}).items():
            if isinstance(value, str):  # every key becomes a variable, behind the optional prefix
                yield EnvValue(f"{source.get('prefix') or ''}{key}", value, (*container.path, "envFrom", position))


def service_and_namespace(host: str, namespace: str) -> tuple[str, str] | None:
    parts = host.split(".")
    if len(parts) == 1:
        return parts[0], namespace
    if tuple(parts[2:]) in _CLUSTER_SUFFIXES:
        return parts[0], parts[1]
    return None  # a name outside the cluster


def addresses(index: ResourceIndex) -> Iterator[Address]:
    """Every env value of the form host:port that names a cluster Service (rendered or not)."""
    for pod in index.pods:
        for container in pod.containers():
            for env in env_values(index, container, pod.namespace):
                match = _HOST_PORT.match(env.value)
                if match is None or match["host"] == "localhost" or not re.search("[a-z]", match["host"]):
                    continue  # not an address, a loopback, or an IP address (or a time such as 12:30)
                target = service_and_namespace(match["host"], pod.namespace)
                if target is not None:
                    yield Address(pod, container, env, target[0], target[1], int(match["port"]))


def service_port(service: Resource, port: int) -> Mapping[str, Any] | None:
    ports = (service.obj.get("spec") or {}).get("ports") or []
    return next((entry for entry in ports if isinstance(entry, dict) and entry.get("port") == port), None)
