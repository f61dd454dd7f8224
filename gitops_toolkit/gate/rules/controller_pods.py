"""Pods no manifest declares: kubeadm's control-plane static pods and add-ons in kube-system, and the pods
prometheus-operator creates for each Prometheus and Alertmanager. Selectors that match them are not dangling."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from gitops_toolkit.core.object_paths import get_path
from gitops_toolkit.gate.rules.index import ResourceIndex, namespace_of, selector_matches

KUBE_SYSTEM = "kube-system"


@dataclass(frozen=True)
class KubeadmComponent:
    name: str
    labels: Mapping[str, str]  # labels kubeadm gives its pods
    metrics_port: int | None = None  # where it serves metrics; None: reachable as kubeadm sets it up
    opened_by: str = ""  # the bootstrap setting that binds that port beyond 127.0.0.1


KUBEADM_COMPONENTS = (
    KubeadmComponent("kube-apiserver", {"component": "kube-apiserver", "tier": "control-plane"}),
    KubeadmComponent(
        "etcd",
        {"component": "etcd", "tier": "control-plane"},
        2381,
        "ClusterConfiguration etcd.local.extraArgs listen-metrics-urls=http://0.0.0.0:2381",
    ),
    KubeadmComponent(
        "kube-controller-manager",
        {"component": "kube-controller-manager", "tier": "control-plane"},
        10257,
        "ClusterConfiguration controllerManager.extraArgs bind-address=0.0.0.0",
    ),
    KubeadmComponent(
        "kube-scheduler",
        {"component": "kube-scheduler", "tier": "control-plane"},
        10259,
        "ClusterConfiguration scheduler.extraArgs bind-address=0.0.0.0",
    ),
    KubeadmComponent(
        "kube-proxy", {"k8s-app": "kube-proxy"}, 10249, "KubeProxyConfiguration metricsBindAddress: 0.0.0.0:10249"
    ),
    KubeadmComponent("coredns", {"k8s-app": "kube-dns"}),
)

# prometheus-operator labels the pods of each of these custom resources with the resource's name, after the
# labels of its `spec.podMetadata`.
_OPERATED_KINDS = {"Prometheus": "prometheus", "Alertmanager": "alertmanager", "ThanosRuler": "thanos-ruler"}


def controller_pod_labels(index: ResourceIndex, namespace: str) -> Iterator[dict[str, str]]:
    """Labels of the pods controllers create in `namespace` without a manifest of their own."""
    if namespace == KUBE_SYSTEM:
        for component in KUBEADM_COMPONENTS:
            yield dict(component.labels)
    for kind, app in _OPERATED_KINDS.items():
        for resource in index.of_kind(kind):
            if namespace_of(resource) == namespace and resource.api_group == "monitoring.coreos.com":
                name = resource.ref.name
                copied = get_path(resource.obj, ("spec", "podMetadata", "labels"))  # the operator copies these
                yield {
                    **({str(k): str(v) for k, v in copied.items()} if isinstance(copied, dict) else {}),
                    "app.kubernetes.io/name": app,
                    "app.kubernetes.io/instance": name,
                    "app.kubernetes.io/managed-by": "prometheus-operator",
                    "operator.prometheus.io/name": name,
                    app.replace("-", "_") if kind == "ThanosRuler" else app: name,
                }


def selects_controller_pods(index: ResourceIndex, namespace: str, selector: Any) -> bool:
    return any(
        selector_matches(selector, labels, empty_matches_all=False)
        for labels in controller_pod_labels(index, namespace)
    )


def kubeadm_component(namespace: str, selector: Any) -> KubeadmComponent | None:
    """The kubeadm component a kube-system selector picks, if any."""
    if namespace != KUBE_SYSTEM:
        return None
    return next(
        (c for c in KUBEADM_COMPONENTS if selector_matches(selector, dict(c.labels), empty_matches_all=False)),
        None,
    )
