"""Every monitor this repository adds for the platform's components selects a rendered pod and the port its
metrics are on (the Envoy proxies' PodMonitor excepted: Envoy Gateway creates those pods at run time), and
taking one away, or a chart's, leaves its component reported unwatched."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_toolkit.gate.rules.index import ResourceIndex
from gitops_toolkit.gate.rules.observability.unwatched import pod_monitor_scrapes, service_monitor_scrapes
from tests.conftest import REPOSITORY, gate
from tests.plants import replace

RUNTIME_PODS = {"envoy-proxies"}  # the Gateway's proxies, which no manifest renders


def test_each_platform_monitor_scrapes_a_rendered_pod_port() -> None:
    result = gate(REPOSITORY)
    index = ResourceIndex(result.resources)
    services = index.all_of_kind("Service")
    scraped: dict[str, list[str]] = {}
    for monitor in index.all_of_kind("PodMonitor", "ServiceMonitor"):
        if not monitor.path.startswith("observability/") or monitor.ref.name in RUNTIME_PODS:
            continue
        scraped[monitor.ref.name] = [
            f"{pod.resource.kind} {pod.namespace}/{pod.name}:{port.get('name')}"
            for pod in index.pods
            for container in pod.containers(include_init=False)
            for port in container.ports()
            if (monitor.kind == "PodMonitor" and pod_monitor_scrapes(monitor, pod, port))
            or (monitor.kind == "ServiceMonitor" and service_monitor_scrapes(monitor, services, pod, port))
        ]
    assert scraped == {
        "argo-rollouts": ["Deployment argo-rollouts/argo-rollouts:metrics"],
        "envoy-gateway": ["Deployment envoy-gateway-system/envoy-gateway:metrics"],
        "otel-collector": ["Deployment opentelemetry/otel-collector:metrics"],
        "sealed-secrets": ["Deployment kube-system/sealed-secrets-controller:metrics"],
    }


@pytest.mark.parametrize(
    ("file", "monitor", "component"),
    [
        (
            "observability/monitors/kustomization.yaml",
            "  - platform-controllers.yaml\n",
            "Deployment envoy-gateway-system/envoy-gateway",
        ),
        (
            "gitops-repo/platform/metallb/values.yaml",
            "  serviceMonitor:\n    enabled: true\n",
            "DaemonSet metallb-system/metallb-speaker",
        ),
    ],
)
def test_a_component_whose_monitor_is_removed_is_reported_unwatched(
    repository_copy: Path, file: str, monitor: str, component: str
) -> None:
    replace(file, monitor)(repository_copy)
    reported = {str(f.resource) for f in gate(repository_copy).findings if f.rule == "OBS-COMPONENT-UNWATCHED"}
    assert component in reported
