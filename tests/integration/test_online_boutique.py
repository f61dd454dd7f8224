"""The real Online Boutique overlays, rendered by the real kubectl: what the cluster would receive."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gitops_toolkit.core.bounded_yaml import load_trusted_yaml
from gitops_toolkit.tools.kustomize import kustomize_build
from tests.conftest import REPOSITORY

pytestmark = pytest.mark.integration
APP = REPOSITORY / "gitops-repo" / "apps" / "online-boutique"
IMAGE_PREFIX = "us-central1-docker.pkg.dev/online-boutique-ci/microservices-demo/"
STATELESS = {
    "adservice",
    "cartservice",
    "checkoutservice",
    "currencyservice",
    "emailservice",
    "frontend",
    "paymentservice",
    "productcatalogservice",
    "recommendationservice",
    "shippingservice",
}
GRPC = STATELESS - {"frontend"}
Objects = list[dict[str, Any]]


def render(path: Path) -> Objects:
    return load_trusted_yaml(kustomize_build(path, timeout_seconds=60, memory_bytes=2 * 1024**3))


@pytest.fixture(scope="module")
def base() -> Objects:
    return render(APP / "base")


@pytest.fixture(scope="module")
def dev() -> Objects:
    return render(APP / "overlays" / "dev")


@pytest.fixture(scope="module")
def prod() -> Objects:
    return render(APP / "overlays" / "prod")


def of_kind(objects: Objects, kind: str) -> dict[str, dict[str, Any]]:
    return {obj["metadata"]["name"]: obj for obj in objects if obj["kind"] == kind}


def pod_specs(objects: Objects) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, deployment in of_kind(objects, "Deployment").items():
        yield name, deployment["spec"]["template"]["spec"]


def test_base_has_the_eleven_services_and_redis(base: Objects) -> None:
    assert set(of_kind(base, "Deployment")) == STATELESS | {"loadgenerator", "redis-cart"}
    assert set(of_kind(base, "Service")) == STATELESS | {"redis-cart"}
    assert set(of_kind(base, "ServiceAccount")) == STATELESS | {"loadgenerator", "redis-cart"}
    assert of_kind(base, "Service")["emailservice"]["spec"]["ports"][0]["port"] == 5000


def test_images_are_pinned(base: Objects) -> None:
    for name, spec in pod_specs(base):
        for container in spec["containers"] + spec.get("initContainers", []):
            image = container["image"]
            if name == "redis-cart":
                assert image == "docker.io/library/redis:8.2.3-alpine"
            elif container["name"] == "frontend-check":
                assert "@sha256:" in image
            else:
                assert image == f"{IMAGE_PREFIX}{name}:v0.10.6"


def test_every_pod_passes_pod_security_restricted(base: Objects) -> None:
    for name, spec in pod_specs(base):
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["runAsUser"] != 0, name
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert spec["automountServiceAccountToken"] is False, name
        assert spec["serviceAccountName"] == name
        assert not {"hostNetwork", "hostPID", "hostIPC"} & set(spec), name
        for volume in spec.get("volumes", []):
            assert set(volume) == {"name", "emptyDir"}, name
        for container in spec["containers"] + spec.get("initContainers", []):
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["capabilities"] == {"drop": ["ALL"]}, name
            assert not context.get("privileged"), name


def test_every_container_has_requests_a_memory_limit_and_probes(base: Objects) -> None:
    for name, spec in pod_specs(base):
        for container in spec["containers"]:
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), name
            assert "memory" in resources["limits"], name
            for probe in ("readinessProbe", "livenessProbe"):
                assert probe in container, (name, probe)
                if name in GRPC:
                    port = container["ports"][0]["containerPort"]
                    assert container[probe]["grpc"] == {"port": port}, (name, probe)
        for container in spec.get("initContainers", []):
            assert "memory" in container["resources"]["limits"], name


def test_service_accounts_do_not_mount_tokens(base: Objects) -> None:
    assert all(sa["automountServiceAccountToken"] is False for sa in of_kind(base, "ServiceAccount").values())


def test_dev_runs_one_replica_of_everything_with_the_load_generator(dev: Objects) -> None:
    deployments = of_kind(dev, "Deployment")
    assert "loadgenerator" in deployments
    assert all(d["spec"].get("replicas", 1) == 1 for d in deployments.values())
    assert {obj["metadata"].get("namespace") for obj in dev} == {"online-boutique-dev"}
    assert not of_kind(dev, "Namespace")  # namespaces are the platform's (gitops-repo/platform/namespaces)
    assert not of_kind(dev, "HorizontalPodAutoscaler")


def test_prod_runs_two_replicas_of_every_stateless_service(prod: Objects) -> None:
    deployments = of_kind(prod, "Deployment")
    assert "loadgenerator" not in deployments
    assert "loadgenerator" not in of_kind(prod, "ServiceAccount")
    hpas = {hpa["spec"]["scaleTargetRef"]["name"]: hpa for hpa in of_kind(prod, "HorizontalPodAutoscaler").values()}
    for name in STATELESS:
        if name in hpas:
            assert hpas[name]["apiVersion"] == "autoscaling/v2"
            assert hpas[name]["spec"]["minReplicas"] >= 2, name
            assert "replicas" not in deployments[name]["spec"], f"{name}: HPA target must not pin replicas"
        else:
            assert deployments[name]["spec"]["replicas"] >= 2, name
    assert "replicas" not in deployments["redis-cart"]["spec"]


def test_prod_has_a_pdb_per_stateless_service_and_spreads_across_nodes(prod: Objects) -> None:
    pdbs = of_kind(prod, "PodDisruptionBudget")
    assert {pdb["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] for pdb in pdbs.values()} == STATELESS
    assert all(pdb["spec"]["maxUnavailable"] == 1 for pdb in pdbs.values())
    for name, spec in pod_specs(prod):
        [spread] = spec["topologySpreadConstraints"]
        assert spread["topologyKey"] == "kubernetes.io/hostname", name


def test_the_platform_gives_both_namespaces_pod_security_restricted() -> None:
    namespaces = of_kind(render(REPOSITORY / "gitops-repo" / "platform" / "namespaces" / "manifests"), "Namespace")
    for name in ("online-boutique", "online-boutique-dev"):
        assert namespaces[name]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
        assert (
            namespaces[name]["metadata"]["annotations"]["argocd.argoproj.io/sync-options"] == "Prune=false,Delete=false"
        )


def test_prod_frontend_is_reached_only_through_the_http_route(prod: Objects) -> None:
    assert all(service["spec"].get("type", "ClusterIP") == "ClusterIP" for service in of_kind(prod, "Service").values())
    [route] = of_kind(prod, "HTTPRoute").values()
    assert route["spec"]["parentRefs"][0]["name"] == "platform-gateway"
    # The stable and the canary Service, at rest all on the stable one; both select the frontend's pods.
    assert route["spec"]["rules"][0]["backendRefs"] == [
        {"name": "frontend", "port": 80, "weight": 100},
        {"name": "frontend-canary", "port": 80, "weight": 0},
    ]
    services = of_kind(prod, "Service")
    assert services["frontend-canary"]["spec"]["selector"] == services["frontend"]["spec"]["selector"]
    assert route["spec"]["hostnames"] == ["shop.platform.internal"]


def test_tracing_points_every_traced_service_at_the_collector_and_lets_it_through(prod: Objects) -> None:
    config_maps = of_kind(prod, "ConfigMap")
    policies = of_kind(prod, "NetworkPolicy")
    traced = 0
    for name, spec in pod_specs(prod):
        env = {item["name"]: item for item in spec["containers"][0].get("env", [])}
        if "ENABLE_TRACING" not in env:
            continue
        reference = env["COLLECTOR_SERVICE_ADDR"]["valueFrom"]["configMapKeyRef"]
        assert reference["name"] in config_maps, name
        assert config_maps[reference["name"]]["data"]["COLLECTOR_SERVICE_ADDR"].endswith(":4317")
        collector = {
            "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "opentelemetry"}}}],
            "ports": [{"protocol": "TCP", "port": 4317}],
        }
        assert collector in policies[name]["spec"]["egress"], name
        traced += 1
    assert traced == 7


def _allows(policy: dict[str, Any], direction: str, peer: str, port: int) -> bool:
    peer_key = "to" if direction == "egress" else "from"
    for rule in policy["spec"].get(direction, []):
        ports = {p["port"] for p in rule.get("ports", [])}
        peers = {p.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name") for p in rule[peer_key]}
        if port in ports and peer in peers:
            return True
    return False


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_network_policies_allow_every_call_the_services_make(overlay: str, request: pytest.FixtureRequest) -> None:
    objects = request.getfixturevalue(overlay)
    policies = of_kind(objects, "NetworkPolicy")
    assert policies["default-deny"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    services = of_kind(objects, "Service")
    containers = {name: spec["containers"][0] for name, spec in pod_specs(objects)}
    calls = 0
    for caller, container in containers.items():
        for item in container.get("env", []):
            host, _, port = str(item.get("value", "")).partition(":")
            if item["name"].endswith("_ADDR") and host in services:
                service_port = next(p for p in services[host]["spec"]["ports"] if p["port"] == int(port))
                named = service_port["targetPort"]
                target = next(p["containerPort"] for p in containers[host]["ports"] if p["name"] == named)
                caller_policies = [p for p in policies.values() if _allows(p, "egress", host, target)]
                callee_policies = [p for p in policies.values() if _allows(p, "ingress", caller, target)]
                assert caller_policies and callee_policies, f"{caller} -> {host}:{target} is cut"
                calls += 1
    assert calls >= 15  # frontend 7, checkout 6, recommendation 1, cart 1 (and the load generator in dev)


def test_example_ingress_sets_the_class(tmp_path: Path) -> None:
    [ingress] = of_kind(render(APP / "examples" / "ingress"), "Ingress").values()
    assert ingress["spec"]["ingressClassName"] == "haproxy"
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == "frontend"
