"""The cluster's part of the smoke test, judged from what the API answers (through gitops_toolkit/cluster/):
every node Ready; every Argo CD Application Synced and Healthy; every Deployment, StatefulSet and DaemonSet
fully available; no pod crash-looping or pending. Each check names what fails and the fix to try."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

PASS, FAIL = "pass", "fail"
PENDING_GRACE_SECONDS = 300  # a pod may wait this long for its volume or image before it counts as stuck
_SHOWN = 5  # names listed in a failure line before "and N more"


class ClusterApi(Protocol):
    def get(self, *arguments: str) -> Any: ...


@dataclass(frozen=True)
class CheckResult:
    id: str
    status: str  # PASS or FAIL
    seconds: float
    detail: str  # what was found (the failing objects, with their reasons)
    fix: str = ""  # what to try when it fails


def _names(found: list[str]) -> str:
    more = f" and {len(found) - _SHOWN} more" if len(found) > _SHOWN else ""
    return "; ".join(found[:_SHOWN]) + more


def _where(item: dict[str, Any]) -> str:
    metadata = item.get("metadata", {})
    return f"{metadata.get('namespace', '')}/{metadata.get('name', '')}".lstrip("/")


def nodes_ready(nodes: list[dict[str, Any]]) -> tuple[list[str], str]:
    not_ready = []
    for node in nodes:
        conditions = node.get("status", {}).get("conditions", [])
        ready: dict[str, Any] = next((c for c in conditions if c.get("type") == "Ready"), {})
        if ready.get("status") != "True":
            not_ready.append(f"{_where(node)} ({ready.get('reason') or 'no Ready condition'})")
    return not_ready, "check the kubelet on that node: `journalctl -u kubelet`, and the CNI's pods"


def applications_synced(applications: list[dict[str, Any]]) -> tuple[list[str], str]:
    wrong = []
    for application in applications:
        status = application.get("status", {})
        sync = status.get("sync", {}).get("status", "Unknown")
        health = status.get("health", {}).get("status", "Unknown")
        if (sync, health) != ("Synced", "Healthy"):
            conditions = ", ".join(str(c.get("message", c.get("type", ""))) for c in status.get("conditions", []))
            wrong.append(f"{_where(application)} {sync}/{health}" + (f": {conditions}" if conditions else ""))
    return wrong, "open the Application in Argo CD (or `kubectl -n argocd describe application NAME`)"


def _available(item: dict[str, Any]) -> tuple[int, int]:
    """(available, wanted) of a Deployment, StatefulSet or DaemonSet."""
    status, spec = item.get("status", {}), item.get("spec", {})
    if item.get("kind") == "DaemonSet":
        return int(status.get("numberAvailable", 0)), int(status.get("desiredNumberScheduled", 0))
    wanted = int(spec.get("replicas", 1))
    ready = status.get("availableReplicas" if item.get("kind") == "Deployment" else "readyReplicas", 0)
    return int(ready or 0), wanted


def workloads_available(workloads: list[dict[str, Any]]) -> tuple[list[str], str]:
    short = []
    for item in workloads:
        available, wanted = _available(item)
        if available < wanted:
            short.append(f"{item.get('kind')} {_where(item)} {available}/{wanted} available")
    return short, "`kubectl describe` it and its pods: events name the image, probe or scheduling problem"


def pods_healthy(pods: list[dict[str, Any]], now: datetime) -> tuple[list[str], str]:
    unhealthy = []
    for pod in pods:
        status = pod.get("status", {})
        for container in status.get("containerStatuses", []) + status.get("initContainerStatuses", []):
            waiting = container.get("state", {}).get("waiting", {})
            if waiting.get("reason") in ("CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull"):
                unhealthy.append(f"pod {_where(pod)} {container.get('name')}: {waiting['reason']}")
        created = pod.get("metadata", {}).get("creationTimestamp")
        if status.get("phase") == "Pending" and created:
            age = (now - datetime.fromisoformat(created.replace("Z", "+00:00"))).total_seconds()
            if age > PENDING_GRACE_SECONDS:
                unhealthy.append(f"pod {_where(pod)} Pending for {int(age)} s")
    return unhealthy, "`kubectl logs --previous` for a crash, `kubectl describe pod` for a pull or scheduling problem"


def _timed(check_id: str, judge: Callable[[], tuple[list[str], str]], what: str) -> CheckResult:
    started = time.monotonic()
    failing, fix = judge()
    seconds = round(time.monotonic() - started, 3)
    if failing:
        return CheckResult(check_id, FAIL, seconds, _names(failing), fix)
    return CheckResult(check_id, PASS, seconds, what)


def cluster_checks(cluster: ClusterApi) -> list[CheckResult]:
    """Every cluster check, in order; ClusterUnreachable propagates (the caller exits 2)."""

    def items(*arguments: str) -> list[dict[str, Any]]:
        return list(cluster.get(*arguments, "--all-namespaces").get("items", []))

    now = datetime.now(UTC)
    return [
        _timed(
            "CLUSTER-NODES-READY", lambda: nodes_ready(list(cluster.get("nodes").get("items", []))), "every node Ready"
        ),
        _timed(
            "ARGOCD-APPLICATIONS-SYNCED",
            lambda: applications_synced(items("applications.argoproj.io")),
            "every Application Synced and Healthy",
        ),
        _timed(
            "WORKLOADS-AVAILABLE",
            lambda: workloads_available(items("deployments") + items("statefulsets") + items("daemonsets")),
            "every Deployment, StatefulSet and DaemonSet fully available",
        ),
        _timed(
            "PODS-HEALTHY",
            lambda: pods_healthy(items("pods"), now),
            "no pod crash-looping, unable to pull or stuck Pending",
        ),
    ]
