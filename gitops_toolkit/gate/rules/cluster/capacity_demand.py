"""What the pods of every Application ask the scheduler for: each workload's pod requests as the API server
defaults them (a limit without a request is the request), how many pods it runs at its autoscaler's minimum and
maximum, where it may run (kubeadm taints its control plane NoSchedule), and in which order Argo CD syncs it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from gitops_toolkit.core.object_paths import mapping
from gitops_toolkit.core.quantities import quantity
from gitops_toolkit.gate.rules.gitops.sync import sync_wave
from gitops_toolkit.gate.rules.index import PodTemplate, ResourceIndex

_WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Pod")
_CONTROL_PLANE_TAINT = "node-role.kubernetes.io/control-plane"


@dataclass(frozen=True)
class PodDemand:
    application: str
    workload: str  # "Deployment online-boutique-dev/frontend"
    cpu: int  # millicores, one pod
    memory: int  # bytes, one pod
    at_min: int  # pods at the autoscaler's minimum (or the declared replicas)
    at_max: int  # at its maximum
    per_node: bool  # a DaemonSet: one pod on every node it may run on
    tolerates_control_plane: bool
    order: tuple[int, str, int]  # Argo CD's: the Application's sync wave, its name, the resource's position


def _amount(resources: Any, name: str, scale: int) -> int:
    """A container's request for `name` as the API server defaults it: the request, else the limit, else 0."""
    for section in ("requests", "limits"):
        values = mapping(resources).get(section)
        value = quantity(values.get(name)) if isinstance(values, dict) and name in values else None
        if value is not None:
            return int(value * scale)
    return 0


def pod_request(pod: PodTemplate, name: str, scale: int) -> int:
    """The pod's effective request, as the scheduler sums it: its containers and restartable init containers
    (sidecars) together, or the largest ordinary init container if that is more."""
    running, largest_init = 0, 0
    for container in pod.containers():
        amount = _amount(container.body.get("resources"), name, scale)
        if not container.is_init or container.body.get("restartPolicy") == "Always":
            running += amount
        elif container.path[-2] == "initContainers":
            largest_init = max(largest_init, amount)
    return max(running, largest_init)


def tolerates_control_plane(spec: Mapping[str, Any]) -> bool:
    for toleration in spec.get("tolerations") or []:
        if not isinstance(toleration, dict) or toleration.get("effect") not in (None, "", "NoSchedule"):
            continue
        key, operator = toleration.get("key"), toleration.get("operator", "Equal")
        if (not key and operator == "Exists") or (
            key == _CONTROL_PLANE_TAINT and (operator == "Exists" or not toleration.get("value"))
        ):
            return True
    return False


def _run_by_rollouts(index: ResourceIndex) -> dict[tuple[str, str], tuple[str, str]]:
    """(namespace, Rollout) -> (kind, name) of the workload whose pod template it runs (`workloadRef`): Argo
    Rollouts runs that template at the Rollout's replicas and scales the workload itself to zero."""
    runs = {}
    for rollout in index.of_kind("Rollout"):
        reference = mapping(mapping(rollout.obj.get("spec")).get("workloadRef"))
        if reference.get("kind") and reference.get("name"):
            namespace = str(rollout.metadata.get("namespace", ""))
            runs[(namespace, rollout.ref.name)] = (str(reference["kind"]), str(reference["name"]))
    return runs


def _autoscaled(index: ResourceIndex) -> dict[tuple[str, str, str], tuple[int, int]]:
    """(namespace, kind, name) of every HPA's target -> (minReplicas, maxReplicas); a Rollout's bounds are
    those of the workload it runs."""
    bounds, rollouts = {}, _run_by_rollouts(index)
    for hpa in index.of_kind("HorizontalPodAutoscaler"):
        spec = hpa.obj.get("spec") or {}
        target = spec.get("scaleTargetRef") or {}
        namespace, kind, name = str(hpa.metadata.get("namespace", "")), str(target.get("kind")), str(target.get("name"))
        if kind == "Rollout" and (namespace, name) in rollouts:
            kind, name = rollouts[(namespace, name)]
        low, high = spec.get("minReplicas", 1), spec.get("maxReplicas")
        if isinstance(low, int) and isinstance(high, int):
            bounds[(namespace, kind, name)] = (low, high)
    return bounds


def _waves(index: ResourceIndex) -> dict[str, int]:
    return {application.ref.name: sync_wave(application) for application in index.all_of_kind("Application")}


# Pods an operator makes from a custom resource: (API group, kind) -> where the main container's resources are.
_OPERATED = {("monitoring.coreos.com", "Prometheus"), ("monitoring.coreos.com", "Alertmanager")}


def _operated(index: ResourceIndex, waves: dict[str, int]) -> Iterator[PodDemand]:
    """The Prometheus and Alertmanager pods the Prometheus operator runs: spec.replicas (1 by default) pods of
    spec.resources (the operator's config-reloader sidecar is set on the operator and left out)."""
    for position, resource in enumerate(index.resources):
        applications = index.repository.applications_of(resource.entry)
        if (resource.api_group, resource.kind) not in _OPERATED or not applications:
            continue
        spec = mapping(resource.obj.get("spec"))
        replicas = spec.get("replicas", 1) if isinstance(spec.get("replicas", 1), int) else 1
        namespace = str(resource.metadata.get("namespace", ""))
        yield PodDemand(
            applications[0],
            f"{resource.kind} {namespace}/{resource.ref.name}",
            _amount(spec.get("resources"), "cpu", 1000),
            _amount(spec.get("resources"), "memory", 1),
            replicas,
            replicas,
            per_node=False,
            tolerates_control_plane=tolerates_control_plane(spec),
            order=(waves.get(applications[0], 0), applications[0], position),
        )


def pod_demands(index: ResourceIndex) -> Iterator[PodDemand]:
    """Every workload an Application deploys, once per cluster object."""
    autoscaled, waves, seen = _autoscaled(index), _waves(index), set()
    yield from _operated(index, waves)
    for position, pod in enumerate(index.pods):
        resource = pod.resource
        applications = index.repository.applications_of(resource.entry)
        identity = (resource.api_group, resource.kind, pod.namespace, pod.name)
        if resource.kind not in _WORKLOADS or not applications or identity in seen:
            continue
        seen.add(identity)
        declared = 1 if resource.kind == "Pod" else pod.declared_replicas
        low, high = autoscaled.get((pod.namespace, resource.kind, pod.name), (declared, declared))
        low = 1 if low is None else low
        high = low if high is None else high
        application = applications[0]
        yield PodDemand(
            application=application,
            workload=f"{resource.kind} {pod.namespace}/{pod.name}",
            cpu=pod_request(pod, "cpu", 1000),
            memory=pod_request(pod, "memory", 1),
            at_min=low,
            at_max=max(low, high),
            per_node=resource.kind == "DaemonSet",
            tolerates_control_plane=tolerates_control_plane(pod.spec),
            order=(waves.get(application, 0), application, position),
        )
