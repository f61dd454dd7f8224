"""Reading fields of a Kubernetes object as plain data: a value at a path, the entries of a list of maps, and
a workload's pod spec (where each workload kind keeps its pod template)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

FieldPath = tuple[str | int, ...]

# Where each workload kind keeps its pod template.
POD_TEMPLATE_PATHS: dict[str, FieldPath] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "Rollout": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Pod": (),
}


def mapping(value: Any) -> dict[str, Any]:
    """The value when it is a mapping, else an empty one: YAML fields that may be missing, null or mistyped."""
    return value if isinstance(value, dict) else {}


def get_path(obj: Any, path: Sequence[str | int]) -> Any:
    for part in path:
        if isinstance(part, int):
            obj = obj[part] if isinstance(obj, list) and 0 <= part < len(obj) else None
        else:
            obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


def pod_spec(obj: Any) -> tuple[dict[str, Any], FieldPath] | None:
    """The pod spec of a pod-bearing object (a Deployment, a CronJob, a Pod...) and its path inside it."""
    template_path = POD_TEMPLATE_PATHS.get(str(obj.get("kind", ""))) if isinstance(obj, dict) else None
    if template_path is None:
        return None
    spec_path: FieldPath = (*template_path, "spec")
    spec = get_path(obj, spec_path)
    return (spec, spec_path) if isinstance(spec, dict) else None


def dict_items(body: Any, field: str) -> list[tuple[int, dict[str, Any]]]:
    """(position, entry) of the mapping entries of the list `field` of `body`."""
    items = body.get(field) if isinstance(body, dict) else None
    return [(i, item) for i, item in enumerate(items) if isinstance(item, dict)] if isinstance(items, list) else []


def split_api_version(api_version: str) -> tuple[str, str]:
    """("apps", "v1") for "apps/v1"; ("", "v1") for the core group."""
    group, _, version = api_version.rpartition("/")
    return group, version
