"""selfheal: delete a running Online Boutique pod; pass when a new pod has taken its place and its Deployment
is fully available again. Nothing to undo: the Deployment's controller does the repair."""

from __future__ import annotations

from collections.abc import Iterator

from gitops_toolkit.checks.drill.settings import DrillSettings
from gitops_toolkit.checks.drill.workloads import deployment, deployments, is_ready, pods_of, rollout_state
from gitops_toolkit.checks.smoke.result import PASS, CheckResult
from gitops_toolkit.tools.cluster_api import ClusterError


def selfheal(settings: DrillSettings) -> Iterator[CheckResult]:
    cluster, namespace = settings.cluster, settings.namespace
    candidates = [item for item in deployments(cluster, namespace) if not rollout_state(item)]
    if not candidates:
        raise ClusterError(f"no Deployment in {namespace} is fully available to start from; run `invoke smoke`")
    target = next((item for item in candidates if item["metadata"]["name"] == "frontend"), candidates[0])
    name = target["metadata"]["name"]
    before = pods_of(cluster, target)
    victim = next((pod for pod in before if is_ready(pod)), None)
    if victim is None:
        raise ClusterError(f"Deployment {namespace}/{name} has no Ready pod to delete")
    known = {pod["metadata"]["uid"] for pod in before}
    cluster.change("delete", "pod", victim["metadata"]["name"], "-n", namespace, "--wait=false")

    def replaced() -> str:
        pods = pods_of(cluster, target)
        if any(pod["metadata"]["uid"] == victim["metadata"]["uid"] for pod in pods):
            return f"pod {victim['metadata']['name']} still there"
        if not any(is_ready(pod) and pod["metadata"]["uid"] not in known for pod in pods):
            return "no new Ready pod yet"
        return rollout_state(deployment(cluster, namespace, name))

    seconds = settings.clock.wait_for(f"Deployment {namespace}/{name} healed", replaced)
    detail = f"deleted pod {victim['metadata']['name']}; Deployment {namespace}/{name} fully available again"
    yield CheckResult("DRILL-SELFHEAL", PASS, seconds, detail)
