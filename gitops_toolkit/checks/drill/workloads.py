"""What the drills read about Deployments and their pods."""

from __future__ import annotations

from typing import Any

from gitops_toolkit.checks.smoke.cluster_checks import available
from gitops_toolkit.tools.cluster_api import ClusterApi, ClusterError

ARGO_CD_TRACKING = "argocd.argoproj.io/tracking-id"  # set on every object Argo CD applies


def deployment(cluster: ClusterApi, namespace: str, name: str) -> dict[str, Any]:
    return dict(cluster.get("deployment", name, "-n", namespace))


def deployments(cluster: ClusterApi, namespace: str) -> list[dict[str, Any]]:
    found = list(cluster.get("deployments", "-n", namespace).get("items", []))
    if not found:
        raise ClusterError(f"namespace {namespace} has no Deployment; is Online Boutique deployed there?")
    return sorted(found, key=lambda item: str(item["metadata"]["name"]))


def pods_of(cluster: ClusterApi, item: dict[str, Any]) -> list[dict[str, Any]]:
    labels = item["spec"]["selector"].get("matchLabels", {})
    selector = ",".join(f"{key}={value}" for key, value in sorted(labels.items()))
    return list(cluster.get("pods", "-n", item["metadata"]["namespace"], "-l", selector).get("items", []))


def is_ready(pod: dict[str, Any]) -> bool:
    conditions = pod.get("status", {}).get("conditions", [])
    deleting = "deletionTimestamp" in pod.get("metadata", {})
    return not deleting and any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def rollout_state(item: dict[str, Any]) -> str:
    """What keeps a Deployment from being fully rolled out and available ("" when it is)."""
    status = item.get("status", {})
    wanted = int(item.get("spec", {}).get("replicas", 1))
    if int(status.get("observedGeneration", 0)) < int(item.get("metadata", {}).get("generation", 0)):
        return "its controller has not seen the latest spec"
    if int(status.get("updatedReplicas", 0)) < wanted:
        return f"{status.get('updatedReplicas', 0)}/{wanted} pods updated"
    ready, _ = available(item)
    if ready < wanted or int(status.get("replicas", 0)) > wanted:
        return f"{ready}/{wanted} available, {status.get('replicas', 0)} pods"
    return ""


def container_image(item: dict[str, Any]) -> str:
    return str(item["spec"]["template"]["spec"]["containers"][0]["image"])
