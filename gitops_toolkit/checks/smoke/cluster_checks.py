"""The cluster's part of the smoke test, judged from what the API answers: every node Ready; every Argo CD
Application Synced and Healthy; every Deployment, StatefulSet and DaemonSet fully available; no pod
crash-looping, unable to pull its image or stuck Pending; an etcd snapshot CronJob that succeeded lately.
Each check names what fails and the fix to try."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gitops_toolkit.checks.smoke.result import CheckResult, timed
from gitops_toolkit.tools.cluster_api import ClusterApi

PENDING_GRACE_SECONDS = 300  # a pod may wait this long for its volume or image before it counts as stuck
BACKUP_NAMESPACE, BACKUP_CRONJOB = "etcd-backup", "etcd-snapshot"
ROLLOUT_PAUSE_MINUTES = 30  # as RolloutPausedTooLong: the canary's own pauses last 2 minutes
BACKUP_MAX_AGE_SECONDS = 12 * 3600  # as EtcdBackupTooOld: two missed runs of a 6-hourly snapshot
STUCK_REASONS = ("CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError")


def where(item: dict[str, Any]) -> str:
    metadata = item.get("metadata", {})
    return f"{metadata.get('namespace', '')}/{metadata.get('name', '')}".lstrip("/")


def node_not_ready(node: dict[str, Any]) -> str:
    """Why the node is not Ready ("" when it is)."""
    conditions = node.get("status", {}).get("conditions", [])
    ready: dict[str, Any] = next((c for c in conditions if c.get("type") == "Ready"), {})
    return "" if ready.get("status") == "True" else str(ready.get("reason") or "no Ready condition")


def application_trouble(application: dict[str, Any]) -> str:
    """`Sync/Health: conditions` of an Application that is not Synced and Healthy ("" when it is)."""
    status = application.get("status", {})
    sync = status.get("sync", {}).get("status", "Unknown")
    health = status.get("health", {}).get("status", "Unknown")
    if (sync, health) == ("Synced", "Healthy"):
        return ""
    conditions = ", ".join(str(c.get("message", c.get("type", ""))) for c in status.get("conditions", []))
    return f"{sync}/{health}" + (f": {conditions}" if conditions else "")


def available(item: dict[str, Any]) -> tuple[int, int]:
    """(available, wanted) of a Deployment, StatefulSet or DaemonSet."""
    status, spec = item.get("status", {}), item.get("spec", {})
    if item.get("kind") == "DaemonSet":
        return int(status.get("numberAvailable", 0)), int(status.get("desiredNumberScheduled", 0))
    wanted = int(spec.get("replicas", 1))
    ready = status.get("availableReplicas" if item.get("kind") == "Deployment" else "readyReplicas", 0)
    return int(ready or 0), wanted


def pod_trouble(pod: dict[str, Any], now: datetime) -> list[str]:
    """What keeps the pod from running: a container stuck waiting, or Pending past the grace period."""
    troubles = []
    status = pod.get("status", {})
    for container in status.get("containerStatuses", []) + status.get("initContainerStatuses", []):
        reason = container.get("state", {}).get("waiting", {}).get("reason")
        if reason in STUCK_REASONS:
            troubles.append(f"{container.get('name')}: {reason}")
    created = pod.get("metadata", {}).get("creationTimestamp")
    if status.get("phase") == "Pending" and created:
        age = (now - datetime.fromisoformat(created.replace("Z", "+00:00"))).total_seconds()
        if age > PENDING_GRACE_SECONDS:
            troubles.append(f"Pending for {int(age)} s")
    return troubles


def backup_trouble(cluster: ClusterApi, now: datetime) -> list[str]:
    """Why the last good etcd snapshot is not recent ([] when it is)."""
    cronjob = cluster.get("cronjob", BACKUP_CRONJOB, "-n", BACKUP_NAMESPACE)
    last = cronjob.get("status", {}).get("lastSuccessfulTime")
    if not last:
        return [f"{BACKUP_NAMESPACE}/{BACKUP_CRONJOB} has never succeeded"]
    age = (now - datetime.fromisoformat(str(last).replace("Z", "+00:00"))).total_seconds()
    if age > BACKUP_MAX_AGE_SECONDS:
        return [f"{BACKUP_NAMESPACE}/{BACKUP_CRONJOB} last succeeded {int(age // 3600)} h ago ({last})"]
    return []


def rollout_trouble(rollout: dict[str, Any], now: datetime) -> str:
    """Why an Argo Rollouts Rollout is not at rest: aborted (Degraded), or paused longer than its canary's own
    pauses ("" when it is fine, a canary in progress included)."""
    status = rollout.get("status", {})
    if status.get("abort") or status.get("phase") == "Degraded":
        return f"aborted or Degraded: {status.get('message') or 'see its AnalysisRuns'}"
    if status.get("phase") != "Paused":
        return ""
    started = [str(c["startTime"]) for c in status.get("pauseConditions") or [] if c.get("startTime")]
    since = min((datetime.fromisoformat(s.replace("Z", "+00:00")) for s in started), default=now)
    minutes = int((now - since).total_seconds() // 60)
    return f"paused for {minutes} min" if minutes >= ROLLOUT_PAUSE_MINUTES else ""


def items(cluster: ClusterApi, kind: str) -> list[dict[str, Any]]:
    return list(cluster.get(kind, "--all-namespaces").get("items", []))


def cluster_checks(cluster: ClusterApi) -> list[CheckResult]:
    """Every cluster check, in order; ClusterUnreachable propagates (the caller exits 2)."""
    now = datetime.now(UTC)
    return [
        timed(
            "CLUSTER-NODES-READY",
            "every node Ready",
            "check the kubelet on that node: `journalctl -u kubelet`, and the CNI's pods",
            lambda: [
                f"{where(node)} ({reason})"
                for node in cluster.get("nodes").get("items", [])
                if (reason := node_not_ready(node))
            ],
        ),
        timed(
            "ARGOCD-APPLICATIONS-SYNCED",
            "every Application Synced and Healthy",
            "open the Application in Argo CD (or `kubectl -n argocd describe application NAME`)",
            lambda: [
                f"{where(application)} {trouble}"
                for application in items(cluster, "applications.argoproj.io")
                if (trouble := application_trouble(application))
            ],
        ),
        timed(
            "WORKLOADS-AVAILABLE",
            "every Deployment, StatefulSet and DaemonSet fully available",
            "`kubectl describe` it and its pods: events name the image, probe or scheduling problem",
            lambda: [
                f"{item.get('kind')} {where(item)} {ready}/{wanted} available"
                for kind in ("deployments", "statefulsets", "daemonsets")
                for item in items(cluster, kind)
                for ready, wanted in [available(item)]
                if ready < wanted
            ],
        ),
        timed(
            "ROLLOUTS-HEALTHY",
            "no Rollout aborted or paused for 30 minutes",
            "see docs/runbooks/RolloutAborted.md and RolloutPausedTooLong.md",
            lambda: [
                f"Rollout {where(rollout)} {trouble}"
                for rollout in items(cluster, "rollouts.argoproj.io")
                if (trouble := rollout_trouble(rollout, now))
            ],
        ),
        timed(
            "PODS-HEALTHY",
            "no pod crash-looping, unable to pull or stuck Pending",
            "`kubectl logs --previous` for a crash, `kubectl describe pod` for a pull or scheduling problem",
            lambda: [
                f"pod {where(pod)} {trouble}" for pod in items(cluster, "pods") for trouble in pod_trouble(pod, now)
            ],
        ),
        timed(
            "ETCD-BACKUP-RECENT",
            "the last good etcd snapshot is less than 12 hours old",
            "see docs/runbooks/EtcdBackupTooOld.md; meanwhile `invoke backup --inventory F ...`",
            lambda: backup_trouble(cluster, now),
        ),
    ]
