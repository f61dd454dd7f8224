"""Cross-references between rendered resources: what one names must exist, match and agree
(kube-linter's dangling-service, invalid-target-ports, non-existent-service-account, duplicate-env-var,
dangling-horizontalpodautoscaler; Polaris' PDB checks; Argo CD's HPA guidance)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.object_paths import dict_items, get_path
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.gate.rules.addresses import addresses, service_port
from gitops_toolkit.gate.rules.controller_pods import selects_controller_pods
from gitops_toolkit.gate.rules.index import PodTemplate, ResourceIndex, namespace_of

_SCALABLE = ("Deployment", "StatefulSet", "ReplicaSet", "Rollout")


def check_service_selectors(index: ResourceIndex) -> Iterator[Finding]:
    for service in index.of_kind("Service"):
        spec = service.obj.get("spec") or {}
        selector = spec.get("selector")
        if spec.get("type") == "ExternalName" or not selector:
            continue
        if selects_controller_pods(index, namespace_of(service), selector):
            continue
        if not index.pods_selected(namespace_of(service), selector, empty_matches_all=False):
            labels = ", ".join(f"{key}={value}" for key, value in selector.items())
            yield service.finding(
                "XREF-SERVICE-SELECTOR",
                f"selector {labels} matches no pod in namespace {namespace_of(service)}; fix the selector or the "
                "pod labels",
                ("spec", "selector"),
            )


def check_service_target_ports(index: ResourceIndex) -> Iterator[Finding]:
    for service in index.of_kind("Service"):
        spec = service.obj.get("spec") or {}
        pods = index.pods_selected(namespace_of(service), spec.get("selector"), empty_matches_all=False)
        if not pods:
            continue  # reported by XREF-SERVICE-SELECTOR
        containers = [c for pod in pods for c in pod.containers(include_init=False)]
        declared = any(c.ports() for c in containers)
        for position, port in enumerate(spec.get("ports") or []):
            target = port.get("targetPort", port.get("port"))
            named = isinstance(target, str) and not target.isdigit()
            if not (named or declared):
                continue  # a number reaches whatever listens there; the pods declare no port to hold it against
            if not any(c.has_port(target) for c in containers):
                yield service.finding(
                    "XREF-SERVICE-PORT",
                    f"port {port.get('port')} targets {target}, which no selected container declares; "
                    "use a container port's number or name",
                    ("spec", "ports", position, "targetPort" if "targetPort" in port else "port"),
                )


def check_addresses(index: ResourceIndex) -> Iterator[Finding]:
    external = set(index.config.external_services)
    for address in addresses(index):
        if address.text in external:
            continue
        service = index.get("Service", address.namespace, address.service)
        if service is None:
            problem = f"there is no Service {address.service} in namespace {address.namespace}"
        elif service_port(service, address.port) is None:
            problem = f"Service {address.namespace}/{address.service} has no port {address.port}"
        else:
            continue
        yield address.caller.resource.finding(
            "XREF-ADDRESS",
            f"{address.env.name}={address.text}: {problem}; fix the address, or list it in external-services "
            "if it lives outside this repository",
            (*address.env.path, "value"),
        )


def _claim_templates(pod: PodTemplate) -> set[str]:
    """Names of a StatefulSet's volumeClaimTemplates: volumes of its pods, each pod with claims of its own."""
    if pod.resource.kind != "StatefulSet":
        return set()
    spec = pod.resource.obj.get("spec") or {}
    return {str(get_path(claim, ("metadata", "name"))) for _, claim in dict_items(spec, "volumeClaimTemplates")}


def _references(pod: PodTemplate) -> Iterator[tuple[str, str, str | None, bool, tuple[str | int, ...]]]:
    """(kind, name, key, optional, path) of every ConfigMap, Secret and PVC the pod uses."""
    for container in pod.containers():
        for position, item in enumerate(container.body.get("env") or []):
            source = (item.get("valueFrom") or {}) if isinstance(item, dict) else {}
            for field, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                ref = source.get(field)
                if isinstance(ref, dict):
                    path = (*container.path, "env", position, "valueFrom", field)
                    yield kind, str(ref.get("name")), str(ref.get("key")), bool(ref.get("optional")), path
        for position, item in enumerate(container.body.get("envFrom") or []):
            for field, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                ref = item.get(field) if isinstance(item, dict) else None
                if isinstance(ref, dict):
                    path = (*container.path, "envFrom", position, field)
                    yield kind, str(ref.get("name")), None, bool(ref.get("optional")), path
    claimed = _claim_templates(pod)
    for position, volume in enumerate(pod.spec.get("volumes") or []):
        if isinstance(volume, dict) and volume.get("name") in claimed:
            continue  # the StatefulSet controller puts the claim of the same name in its place
        path = (*pod.path, "volumes", position)
        for field, kind, name_field in (
            ("configMap", "ConfigMap", "name"),
            ("secret", "Secret", "secretName"),
            ("persistentVolumeClaim", "PersistentVolumeClaim", "claimName"),
        ):
            source = volume.get(field) if isinstance(volume, dict) else None
            if isinstance(source, dict):
                yield kind, str(source.get(name_field)), None, bool(source.get("optional")), path
        for projected in get_path(volume, ("projected", "sources")) or []:
            for field, kind in (("configMap", "ConfigMap"), ("secret", "Secret")):
                source = projected.get(field) if isinstance(projected, dict) else None
                if isinstance(source, dict):
                    yield kind, str(source.get("name")), None, bool(source.get("optional")), path
    for position, secret in enumerate(pod.spec.get("imagePullSecrets") or []):
        if isinstance(secret, dict):
            yield "Secret", str(secret.get("name")), None, False, (*pod.path, "imagePullSecrets", position)


def _keys(index: ResourceIndex, kind: str, namespace: str, name: str) -> set[str] | None:
    """The keys a ConfigMap or Secret will hold, or None when nothing rendered provides it."""
    found = index.get(kind, namespace, name)
    if found is not None:
        return {str(key) for field in ("data", "binaryData", "stringData") for key in (found.obj.get(field) or {})}
    if kind == "Secret":
        return _made_secret_keys(index, namespace, name)
    return None


# What the controllers that make Secrets put in them: cert-manager (a Certificate's `secretName`),
# external-secrets (an ExternalSecret's target), the Sealed Secrets controller (a SealedSecret's name).
_CERTIFICATE_KEYS = {"tls.crt", "tls.key", "ca.crt"}


class _EveryKey(set[str]):
    """The keys of a Secret whose keys come from outside (an ExternalSecret's `dataFrom`): any key may be there."""

    def __contains__(self, key: object) -> bool:
        return True


def _secret_made_by(made: Resource) -> tuple[str, set[str]] | None:
    """The name and keys of the Secret a controller makes from this object, if it makes one."""
    spec: dict[str, Any] = made.obj["spec"] if isinstance(made.obj.get("spec"), dict) else {}
    if made.kind == "SealedSecret":  # its name, or its template's
        name = get_path(spec, ("template", "metadata", "name")) or made.ref.name
        return str(name), {str(key) for key in spec.get("encryptedData") or {}}
    if made.kind == "Certificate" and made.api_group == "cert-manager.io" and spec.get("secretName"):
        return str(spec["secretName"]), set(_CERTIFICATE_KEYS)
    if made.kind == "ExternalSecret" and made.api_group == "external-secrets.io":
        name = get_path(spec, ("target", "name")) or made.ref.name
        keys = {str(item.get("secretKey")) for item in spec.get("data") or [] if isinstance(item, dict)}
        return str(name), keys if keys and not spec.get("dataFrom") else _EveryKey()
    return None


def _made_secret_keys(index: ResourceIndex, namespace: str, name: str) -> set[str] | None:
    """The keys of a Secret a controller makes from a rendered object, or None when none makes it."""
    for made in index.all_of_kind("SealedSecret", "Certificate", "ExternalSecret"):
        secret = _secret_made_by(made) if namespace_of(made) == namespace else None
        if secret is not None and secret[0] == name:
            return secret[1]
    return None


def check_config_references(index: ResourceIndex) -> Iterator[Finding]:
    for pod in index.pods:
        for kind, name, key, optional, path in _references(pod):
            if optional or index.is_external(kind, pod.namespace, name):
                continue
            keys = _keys(index, kind, pod.namespace, name)
            if kind == "PersistentVolumeClaim" and index.get(kind, pod.namespace, name) is not None:
                continue
            if keys is None:
                yield pod.resource.finding(
                    "XREF-MISSING-REFERENCE",
                    f"{kind} {name} is not among the rendered resources of namespace {pod.namespace}; add it "
                    f"(a SealedSecret for secrets), or list {kind}/{pod.namespace}/{name} in external-references",
                    path,
                )
            elif key is not None and key not in keys:
                yield pod.resource.finding(
                    "XREF-MISSING-REFERENCE",
                    f"{kind} {name} has no key `{key}` (it has {', '.join(sorted(keys)) or 'none'}); fix the key",
                    path,
                )


def _hpa_target(index: ResourceIndex, hpa: Resource) -> Resource | None:
    reference = get_path(hpa.obj, ("spec", "scaleTargetRef")) or {}
    return index.get(str(reference.get("kind")), namespace_of(hpa), str(reference.get("name")))


def _scales_on_cpu(hpa: Resource) -> bool:
    metrics = get_path(hpa.obj, ("spec", "metrics"))
    if not metrics:
        return True  # the HPA default is 80% CPU
    return any(get_path(metric, ("resource", "name")) == "cpu" for metric in metrics if isinstance(metric, dict))


def check_hpa_targets(index: ResourceIndex) -> Iterator[Finding]:
    for hpa in index.of_kind("HorizontalPodAutoscaler"):
        target = _hpa_target(index, hpa)
        reference = get_path(hpa.obj, ("spec", "scaleTargetRef")) or {}
        if target is None:
            yield hpa.finding(
                "XREF-HPA-TARGET",
                f"scale target {reference.get('kind')} {reference.get('name')} is not rendered in namespace "
                f"{namespace_of(hpa)}; fix scaleTargetRef",
                ("spec", "scaleTargetRef"),
            )
            continue
        pod = next((pod for pod in index.pods if pod.resource is target), None)
        if pod is not None and _scales_on_cpu(hpa):
            for container in pod.containers(include_init=False):
                if "cpu" not in (get_path(container.body, ("resources", "requests")) or {}):
                    yield hpa.finding(
                        "XREF-HPA-TARGET",
                        f"scales on CPU but container `{container.name}` of {target.kind} {target.ref.name} has no "
                        "CPU request, so utilisation cannot be computed; add one",
                        ("spec", "metrics"),
                    )
        if isinstance(get_path(target.obj, ("spec", "replicas")), int):
            yield target.finding(
                "XREF-HPA-REPLICAS",
                f"spec.replicas is set while HorizontalPodAutoscaler {hpa.ref.name} scales this {target.kind}; "
                "every apply (an Argo CD sync included) resets what the HPA sets: remove replicas",
                ("spec", "replicas"),
            )


def _hpa_minimums(index: ResourceIndex) -> dict[int, int]:
    """minReplicas of each HPA, keyed by the id of the workload it scales."""
    minimums = {}
    for hpa in index.of_kind("HorizontalPodAutoscaler"):
        target = _hpa_target(index, hpa)
        if target is not None:
            minimums[id(target)] = int(get_path(hpa.obj, ("spec", "minReplicas")) or 1)
    return minimums


def _expected_replicas(pods: list[PodTemplate], minimums: dict[int, int]) -> int:
    """Pods the selected workloads run at least: HPA minimum, declared replicas, else 1."""
    total = 0
    for pod in pods:
        if pod.resource.kind in _SCALABLE:
            total += minimums.get(id(pod.resource), pod.declared_replicas or 1)
        else:
            total += 1
    return total


def _percentage(value: Any) -> int | None:
    return int(value[:-1]) if isinstance(value, str) and value.endswith("%") and value[:-1].isdigit() else None


def _desired_healthy(min_available: Any, replicas: int) -> int:
    """Pods a PDB's minAvailable keeps, as the disruption controller scales it (a percentage rounds up)."""
    if isinstance(min_available, int) and not isinstance(min_available, bool):
        return min_available
    percentage = _percentage(min_available)
    return math.ceil(percentage * replicas / 100) if percentage is not None else 0


def check_pod_disruption_budgets(index: ResourceIndex) -> Iterator[Finding]:
    minimums = _hpa_minimums(index)
    for pdb in index.of_kind("PodDisruptionBudget"):
        spec = pdb.obj.get("spec") or {}
        pods = index.pods_selected(namespace_of(pdb), spec.get("selector"), empty_matches_all=True)
        if not pods and selects_controller_pods(index, namespace_of(pdb), spec.get("selector")):
            continue
        if not pods:
            yield pdb.finding("XREF-PDB-SELECTOR", "selector matches no pod; fix the selector", ("spec", "selector"))
            continue
        replicas = _expected_replicas(pods, minimums)
        max_unavailable, min_available = spec.get("maxUnavailable"), spec.get("minAvailable")
        blocks = max_unavailable in (0, "0%") or _desired_healthy(min_available, replicas) >= replicas
        if blocks:
            field = "maxUnavailable" if "maxUnavailable" in spec else "minAvailable"
            yield pdb.finding(
                "XREF-PDB-BLOCKS-DRAIN",
                f"with {replicas} pod(s) selected, {field}: {spec.get(field)} allows no eviction, so a node "
                "drain (kubeadm upgrade) hangs; use maxUnavailable: 1",
                ("spec", field),
            )


def check_duplicate_env(index: ResourceIndex) -> Iterator[Finding]:
    for pod, container in index.containers():
        seen: set[str] = set()
        for position, item in enumerate(container.body.get("env") or []):
            name = str(item.get("name")) if isinstance(item, dict) else ""
            if name in seen:
                yield pod.resource.finding(
                    "XREF-DUPLICATE-ENV",
                    f"container `{container.name}` sets {name} twice; the last one wins silently: keep one",
                    (*container.path, "env", position),
                )
            seen.add(name)


def check_duplicate_resources(index: ResourceIndex) -> Iterator[Finding]:
    for duplicates in index.duplicates():
        first = duplicates[0]
        if first.kind == "Application":
            continue  # GITOPS-APP-NAME says it for Applications
        if len({app for resource in duplicates for app in index.repository.applications_of(resource.entry)}) > 1:
            continue  # GITOPS-SHARED-RESOURCE says it for objects of two Applications
        if {resource.entry for resource in duplicates} <= index.repository.unreferenced:
            continue  # folders nothing names: alternatives (a GKE and a generic variant) are applied one at a time
        for other in duplicates[1:]:
            sources = (
                f"twice from {first.entry}" if other.entry == first.entry else f"from {first.entry} and {other.entry}"
            )
            yield other.finding(
                "XREF-DUPLICATE-RESOURCE",
                f"{other.kind} {namespace_of(other) or '(cluster)'}/{other.ref.name} ({other.api_version}) is deployed "
                f"{sources} into one cluster; the second apply overwrites the first (two Argo CD Applications would "
                "fight over it): keep one",
            )
