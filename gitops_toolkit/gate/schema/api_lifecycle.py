"""When a built-in API version was removed from Kubernetes, or is deprecated in the version validated against,
and what replaces it. Removals since the oldest schemas kubernetes-validate ships are read from those schemas (a
group/version/kind served by an earlier release and not by the target); earlier ones are the deprecation guide's
(kubernetes.io/docs/reference/using-api/deprecation-guide). Deprecations are the target schemas' own notes
("Deprecated: This API is deprecated in v1.33+. Use discoveryv1.EndpointSlice.")."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from gitops_toolkit.core.versions import version_key

_SCHEMA_DIRECTORY = re.compile(r"^v(\d+)\.(\d+)\.0-local-strict$")
_DEPRECATED = re.compile(r"Deprecated: This API is deprecated in v(\d+\.\d+)\+\.?(?: Use ([\w./]*\w))?")

# (group, version, kind) -> (the release that stopped serving it, what replaces it), for removals older than
# the schemas kubernetes-validate ships (1.25 on).
_EARLY_REMOVALS: dict[tuple[str, str, str], tuple[str, str]] = {
    **{("extensions", "v1beta1", k): ("1.16", "apps/v1") for k in ("Deployment", "DaemonSet", "ReplicaSet")},
    **{("apps", v, k): ("1.16", "apps/v1") for v in ("v1beta1", "v1beta2") for k in ("Deployment", "StatefulSet")},
    **{("apps", "v1beta2", k): ("1.16", "apps/v1") for k in ("DaemonSet", "ReplicaSet")},
    ("extensions", "v1beta1", "NetworkPolicy"): ("1.16", "networking.k8s.io/v1"),
    ("extensions", "v1beta1", "Ingress"): ("1.22", "networking.k8s.io/v1"),
    ("networking.k8s.io", "v1beta1", "Ingress"): ("1.22", "networking.k8s.io/v1"),
    ("networking.k8s.io", "v1beta1", "IngressClass"): ("1.22", "networking.k8s.io/v1"),
    ("apiextensions.k8s.io", "v1beta1", "CustomResourceDefinition"): ("1.22", "apiextensions.k8s.io/v1"),
    ("apiregistration.k8s.io", "v1beta1", "APIService"): ("1.22", "apiregistration.k8s.io/v1"),
    ("coordination.k8s.io", "v1beta1", "Lease"): ("1.22", "coordination.k8s.io/v1"),
    ("scheduling.k8s.io", "v1beta1", "PriorityClass"): ("1.22", "scheduling.k8s.io/v1"),
    ("certificates.k8s.io", "v1beta1", "CertificateSigningRequest"): ("1.22", "certificates.k8s.io/v1"),
    **{
        ("admissionregistration.k8s.io", "v1beta1", k): ("1.22", "admissionregistration.k8s.io/v1")
        for k in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
    },
    **{
        ("rbac.authorization.k8s.io", "v1beta1", k): ("1.22", "rbac.authorization.k8s.io/v1")
        for k in ("Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding")
    },
    **{
        ("storage.k8s.io", "v1beta1", k): ("1.22", "storage.k8s.io/v1")
        for k in ("CSIDriver", "CSINode", "StorageClass", "VolumeAttachment")
    },
    ("batch", "v1beta1", "CronJob"): ("1.25", "batch/v1"),
    ("discovery.k8s.io", "v1beta1", "EndpointSlice"): ("1.25", "discovery.k8s.io/v1"),
    ("events.k8s.io", "v1beta1", "Event"): ("1.25", "events.k8s.io/v1"),
    ("autoscaling", "v2beta1", "HorizontalPodAutoscaler"): ("1.25", "autoscaling/v2"),
    ("policy", "v1beta1", "PodDisruptionBudget"): ("1.25", "policy/v1"),
    ("policy", "v1beta1", "PodSecurityPolicy"): ("1.25", "Pod Security admission (namespace labels)"),
    ("node.k8s.io", "v1beta1", "RuntimeClass"): ("1.25", "node.k8s.io/v1"),
}


@dataclass(frozen=True)
class ApiChange:
    since: str  # "1.25": removed (or deprecated) from this release on
    replacement: str  # an apiVersion such as "policy/v1", or what to use instead


def _base() -> Path:
    return Path(str(resources.files("kubernetes_validate") / "kubernetes-json-schema"))


@cache
def shipped_versions() -> tuple[str, ...]:
    """The Kubernetes minors kubernetes-validate has strict schemas for, oldest first ("1.25", ...)."""
    found = [match.groups() for name in _base().iterdir() if (match := _SCHEMA_DIRECTORY.match(name.name))]
    return tuple(f"{major}.{minor}" for major, minor in sorted((int(a), int(b)) for a, b in found))


@cache
def _served(kubernetes_version: str) -> dict[tuple[str, str, str], str]:
    """{(group, version, kind): its description} served by that release."""
    path = _base() / f"v{kubernetes_version}.0-local-strict" / "_definitions.json"
    served = {}
    for definition in json.loads(path.read_text(encoding="utf-8"))["$defs"].values():
        for gvk in definition.get("x-kubernetes-group-version-kind", []):
            served[(gvk["group"], gvk["version"], gvk["kind"])] = str(definition.get("description", ""))
    return served


def _api_version(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


def removed(group: str, version: str, kind: str, target: str) -> ApiChange | None:
    """The release that stopped serving group/version kind at or before `target`, and its replacement."""
    wanted = (group, version, kind)
    if wanted in _served(target):
        return None
    early = _EARLY_REMOVALS.get(wanted)
    if early and version_key(early[0]) <= version_key(target):
        return ApiChange(*early)
    older = [v for v in shipped_versions() if version_key(v) < version_key(target)]
    last_served = next((v for v in reversed(older) if wanted in _served(v)), None)
    if last_served is None:
        return None
    since = next(v for v in shipped_versions() if version_key(v) > version_key(last_served))
    versions = sorted(v for g, v, k in _served(target) if (g, k) == (group, kind))
    stable = [v for v in versions if re.fullmatch(r"v\d+", v)]
    replacement = _api_version(group, (stable or versions)[-1]) if versions else "no replacement in this group"
    return ApiChange(since, replacement)


def deprecated(group: str, version: str, kind: str, target: str) -> ApiChange | None:
    """A served API the target release's own schema marks deprecated, with what it says to use instead."""
    match = _DEPRECATED.search(_served(target).get((group, version, kind), ""))
    if match is None:
        return None
    return ApiChange(match[1], match[2] or "the replacement its release notes name")
