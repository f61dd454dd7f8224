"""The smoke test's cluster checks against a stand-in for the cluster's API (generated objects, answered by
kind as `kubectl get -o json` answers): a healthy platform passes, and each kind of trouble fails the check that
owns it, naming the object, its state and the fix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gitops_toolkit.checks.smoke.cluster_checks import cluster_checks
from gitops_toolkit.checks.smoke.result import FAIL, PASS
from gitops_toolkit.tools.cluster_api import ClusterUnreachable


def node(name: str, ready: str = "True") -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "status": {"conditions": [{"type": "Ready", "status": ready, "reason": "KubeletNotReady"}]},
    }


def application(name: str, sync: str = "Synced", health: str = "Healthy") -> dict[str, Any]:
    return {
        "metadata": {"namespace": "argocd", "name": name},
        "status": {"sync": {"status": sync}, "health": {"status": health}},
    }


def deployment(name: str, wanted: int = 2, available: int = 2) -> dict[str, Any]:
    return {
        "kind": "Deployment",
        "metadata": {"namespace": "online-boutique", "name": name},
        "spec": {"replicas": wanted},
        "status": {"availableReplicas": available},
    }


def pod(name: str, waiting: str = "", phase: str = "Running", age: int = 60) -> dict[str, Any]:
    state = {"waiting": {"reason": waiting}} if waiting else {"running": {}}
    created = (datetime.now(UTC) - timedelta(seconds=age)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "metadata": {"namespace": "online-boutique", "name": name, "creationTimestamp": created},
        "status": {"phase": phase, "containerStatuses": [{"name": "server", "state": state}]},
    }


def snapshot_job(hours_ago: float | None = 1) -> dict[str, Any]:
    """The etcd-snapshot CronJob, last successful `hours_ago` (None: never)."""
    last = (datetime.now(UTC) - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%SZ") if hours_ago else None
    return {"metadata": {"namespace": "etcd-backup", "name": "etcd-snapshot"}, "status": {"lastSuccessfulTime": last}}


def rollout(phase: str = "Healthy", abort: bool = False, paused_minutes: int = 0) -> dict[str, Any]:
    started = (datetime.now(UTC) - timedelta(minutes=paused_minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    pauses = [{"reason": "CanaryPauseStep", "startTime": started}] if phase == "Paused" else []
    message = 'RolloutAborted: Metric "success-rate" assessed Failed' if abort else ""
    status = {"phase": phase, "abort": abort, "message": message, "pauseConditions": pauses}
    return {"metadata": {"namespace": "online-boutique", "name": "frontend"}, "status": status}


class StandInCluster:
    """Answers `get KIND [--all-namespaces]` from lists of objects, as the API server would."""

    def __init__(self, **objects: list[dict[str, Any]]) -> None:
        healthy: dict[str, list[dict[str, Any]]] = {
            "nodes": [node("cp1"), node("w1"), node("w2")],
            "applications.argoproj.io": [application("root"), application("online-boutique-prod")],
            "deployments": [deployment("frontend"), deployment("cartservice")],
            "statefulsets": [],
            "daemonsets": [
                {
                    "kind": "DaemonSet",
                    "metadata": {"name": "calico-node"},
                    "status": {"numberAvailable": 3, "desiredNumberScheduled": 3},
                }
            ],
            "pods": [pod("frontend-1"), pod("cartservice-1")],
            "cronjob": [snapshot_job()],
            "rollouts.argoproj.io": [rollout(), rollout("Paused", paused_minutes=1), rollout("Progressing")],
        }
        self.objects = {**healthy, **objects}

    def get(self, kind: str, *arguments: str) -> dict[str, Any]:
        if kind == "cronjob":  # one object by name, as `kubectl get cronjob NAME -n NS -o json` answers
            return self.objects[kind][0]
        return {"items": self.objects[kind]}


def results(cluster: StandInCluster) -> dict[str, tuple[str, str, str]]:
    return {r.id: (r.status, r.detail, r.fix) for r in cluster_checks(cluster)}


def test_a_healthy_platform_passes_every_check() -> None:
    found = results(StandInCluster())
    assert {check: status for check, (status, _, _) in found.items()} == {
        "CLUSTER-NODES-READY": PASS,
        "ARGOCD-APPLICATIONS-SYNCED": PASS,
        "WORKLOADS-AVAILABLE": PASS,
        "ROLLOUTS-HEALTHY": PASS,
        "PODS-HEALTHY": PASS,
        "ETCD-BACKUP-RECENT": PASS,
    }


@pytest.mark.parametrize(
    ("objects", "check", "words"),
    [
        ({"nodes": [node("cp1"), node("w2", ready="False")]}, "CLUSTER-NODES-READY", "w2 (KubeletNotReady)"),
        (
            {"applications.argoproj.io": [application("root"), application("loki", "OutOfSync", "Degraded")]},
            "ARGOCD-APPLICATIONS-SYNCED",
            "argocd/loki OutOfSync/Degraded",
        ),
        (
            {"deployments": [deployment("frontend", 2, 1)]},
            "WORKLOADS-AVAILABLE",
            "Deployment online-boutique/frontend 1/2",
        ),
        (
            {"pods": [pod("cartservice-1", waiting="CrashLoopBackOff")]},
            "PODS-HEALTHY",
            "cartservice-1 server: CrashLoopBackOff",
        ),
        (lambda: {"pods": [pod("redis-0", phase="Pending", age=900)]}, "PODS-HEALTHY", "redis-0 Pending for 9"),
        (
            lambda: {"cronjob": [snapshot_job(13)]},
            "ETCD-BACKUP-RECENT",
            "etcd-backup/etcd-snapshot last succeeded 13 h",
        ),
        (lambda: {"cronjob": [snapshot_job(None)]}, "ETCD-BACKUP-RECENT", "has never succeeded"),
        (
            lambda: {"rollouts.argoproj.io": [rollout("Degraded", abort=True)]},
            "ROLLOUTS-HEALTHY",
            'online-boutique/frontend aborted or Degraded: RolloutAborted: Metric "success-rate"',
        ),
        (
            lambda: {"rollouts.argoproj.io": [rollout("Paused", paused_minutes=45)]},
            "ROLLOUTS-HEALTHY",
            "online-boutique/frontend paused for 45 min",
        ),
    ],
)
def test_each_trouble_fails_its_own_check_with_the_fix(objects: Any, check: str, words: str) -> None:
    # Objects whose age matters are made when the test runs, not when it is collected.
    found = results(StandInCluster(**(objects() if callable(objects) else objects)))
    failing = {name for name, (status, _, _) in found.items() if status == FAIL}
    assert failing == {check}
    _, detail, fix = found[check]
    assert words in detail and fix


def test_a_pod_pending_for_a_moment_is_not_stuck() -> None:
    assert results(StandInCluster(pods=[pod("new-1", phase="Pending", age=30)]))["PODS-HEALTHY"][0] == PASS


def test_an_unreachable_cluster_is_not_a_failed_check() -> None:
    class Unreachable:
        def get(self, *arguments: str) -> Any:
            raise ClusterUnreachable("the cluster of /k: connection refused")

    with pytest.raises(ClusterUnreachable):
        cluster_checks(Unreachable())
