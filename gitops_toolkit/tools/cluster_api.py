"""What the platform checks need from a running cluster, as one small interface: the real one is kubectl
(kubectl_json.py); the tests put a stand-in behind the same methods."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from gitops_toolkit.core.errors import ToolError


class ClusterUnreachable(ToolError):
    """No kubeconfig, or the API server did not answer (or refused our credentials)."""


class ClusterError(ToolError):
    """The API server answered, but refused or could not do what was asked (e.g. a missing object or kind)."""


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    body: str


class ClusterApi(Protocol):
    def get(self, *arguments: str) -> Any:
        """`kubectl get ARGUMENTS -o json`, parsed."""

    def raw(self, path: str) -> Any:
        """An API path as JSON (`kubectl get --raw PATH`), e.g. the metrics API."""

    def text(self, *arguments: str) -> str:
        """What kubectl prints for ARGUMENTS, e.g. `describe pod X` or `logs X --tail=50`."""

    def change(self, *arguments: str, stdin: str = "") -> str:
        """A mutating kubectl command (delete, scale, apply -f -, patch); its output."""

    def http(
        self, namespace: str, service: str, port: int, path: str, auth: tuple[str, str] | None = None
    ) -> HttpAnswer:
        """GET `path` from a Service's port inside the cluster (through `kubectl port-forward`)."""

    def close(self) -> None:
        """Stop whatever the connection started (port-forwards)."""
