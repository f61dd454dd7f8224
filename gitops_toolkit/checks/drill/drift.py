"""drift: scale by hand a Deployment that Argo CD manages and no HPA scales; pass when Argo CD has put its
replicas back. If Argo CD does not, the drill puts them back itself (also on failure or Ctrl-C)."""

from __future__ import annotations

from collections.abc import Iterator

from gitops_toolkit.checks.drill.settings import DrillSettings
from gitops_toolkit.checks.drill.workloads import ARGO_CD_TRACKING, deployment, deployments
from gitops_toolkit.checks.smoke.result import PASS, CheckResult
from gitops_toolkit.tools.cluster_api import ClusterError


def drift(settings: DrillSettings) -> Iterator[CheckResult]:
    cluster, namespace = settings.cluster, settings.namespace
    scaled_by_hpa = {
        hpa["spec"]["scaleTargetRef"]["name"]
        for hpa in cluster.get("horizontalpodautoscalers", "-n", namespace).get("items", [])
    }
    candidates = [
        item
        for item in deployments(cluster, namespace)
        if item["metadata"]["name"] not in scaled_by_hpa and ARGO_CD_TRACKING in item["metadata"].get("annotations", {})
    ]
    if not candidates:
        raise ClusterError(f"no Deployment in {namespace} is managed by Argo CD without an HPA")
    name = candidates[0]["metadata"]["name"]
    wanted = int(candidates[0]["spec"].get("replicas", 1))

    def replicas() -> int:
        return int(deployment(cluster, namespace, name)["spec"].get("replicas", 1))

    cluster.change("scale", "deployment", name, "-n", namespace, f"--replicas={wanted + 1}")
    try:
        seconds = settings.clock.wait_for(
            f"Argo CD reverting Deployment {namespace}/{name} to {wanted} replicas",
            lambda: "" if replicas() == wanted else f"{replicas()} replicas",
        )
    finally:
        if replicas() != wanted:
            cluster.change("scale", "deployment", name, "-n", namespace, f"--replicas={wanted}")
            print(f"drill: put Deployment {namespace}/{name} back to {wanted} replicas myself")
    detail = f"scaled Deployment {namespace}/{name} to {wanted + 1} by hand; Argo CD put it back to {wanted}"
    yield CheckResult("DRILL-DRIFT", PASS, seconds, detail)
