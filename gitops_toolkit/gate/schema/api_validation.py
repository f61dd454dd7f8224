"""What the API server refuses beyond the schema's types, checked per resource: names, labels and
annotations, resource quantities, ports, workload selectors, duplicate list entries, cron schedules and
object size. Each check mirrors a validation of kube-apiserver (pkg/apis/*/validation, apimachinery)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from croniter import croniter

from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.object_paths import dict_items, get_path, pod_spec
from gitops_toolkit.core.quantities import quantity
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.gate.schema import api_formats

Path = tuple[str | int, ...]
NameCheck = Callable[[str], str | None]

# How the API server validates metadata.name, by kind (every other built-in kind: a DNS-1123 subdomain).
_NAME_FORMATS: dict[str, tuple[NameCheck, str]] = {
    "Service": (api_formats.dns1035_label, "a DNS-1035 label"),
    "Namespace": (api_formats.dns1123_label, "a DNS-1123 label"),
    "Role": (api_formats.path_segment, "a path segment"),
    "ClusterRole": (api_formats.path_segment, "a path segment"),
    "RoleBinding": (api_formats.path_segment, "a path segment"),
    "ClusterRoleBinding": (api_formats.path_segment, "a path segment"),
}
_SUBDOMAIN = (api_formats.dns1123_subdomain, "a DNS-1123 subdomain")
_CRONJOB_NAME_MAX = 52  # the Job names it creates append 11 characters
_ANNOTATIONS_MAX_BYTES = 256 * 1024
_OBJECT_MAX_BYTES = 1536 * 1024  # etcd's default request limit, which the API server inherits
_DATA_MAX_BYTES = 1024 * 1024  # core.MaxSecretSize: a ConfigMap's or a Secret's data, all keys together
_WORKLOADS_WITH_SELECTOR = ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "ReplicationController")
_CRON_DESCRIPTORS = re.compile(r"@(yearly|annually|monthly|weekly|daily|midnight|hourly|every \S+)")


def api_findings(resource: Resource, built_in: bool) -> list[Finding]:
    """Findings of one resource that passed its schema; names are judged for built-in kinds only."""
    checks = [_metadata, _object_size]
    if built_in:
        checks += [_name, _pod_spec, _service, _selector, _cron_schedule]
    return [finding for check in checks for finding in check(resource)]


def _name(resource: Resource) -> Iterator[Finding]:
    name = str(resource.metadata.get("name") or "")
    if not name:
        return  # generateName, or the schema already said it
    check, what = _NAME_FORMATS.get(resource.kind, _SUBDOMAIN)
    problem = check(name)
    if problem is None and resource.kind == "CronJob" and len(name) > _CRONJOB_NAME_MAX:
        problem = f"is {len(name)} characters, over {_CRONJOB_NAME_MAX} for a CronJob"
    if problem:
        yield resource.finding(
            "API-NAME", f"{resource.kind} name `{name}` {problem}; it must be {what}", ("metadata", "name")
        )


def _labels(resource: Resource, labels: Any, path: Path) -> Iterator[Finding]:
    for key, value in labels.items() if isinstance(labels, dict) else ():
        problem = api_formats.qualified_name(str(key))
        what = f"label key `{key}`"
        if problem is None:
            problem, what = api_formats.label_value("" if value is None else str(value)), f"value of label `{key}`"
        if problem:
            yield resource.finding("API-LABEL", f"{what} {problem}", (*path, str(key)))


def _metadata(resource: Resource) -> Iterator[Finding]:
    yield from _labels(resource, resource.metadata.get("labels"), ("metadata", "labels"))
    annotations = resource.metadata.get("annotations")
    if not isinstance(annotations, dict):
        return
    for key in annotations:
        if problem := api_formats.qualified_name(str(key)):
            yield resource.finding(
                "API-ANNOTATION", f"annotation key `{key}` {problem}", ("metadata", "annotations", str(key))
            )
    size = sum(len(str(key)) + len(str(value)) for key, value in annotations.items())
    if size > _ANNOTATIONS_MAX_BYTES:
        yield resource.finding(
            "API-ANNOTATION",
            f"annotations total {size} bytes, over the API server's {_ANNOTATIONS_MAX_BYTES}; move the data into a "
            "ConfigMap",
            ("metadata", "annotations"),
        )


def _object_size(resource: Resource) -> Iterator[Finding]:
    size = len(json.dumps(resource.obj, separators=(",", ":"), default=str))
    if size > _OBJECT_MAX_BYTES:
        yield resource.finding(
            "API-OBJECT-SIZE",
            f"the object is {size} bytes as JSON, over the {_OBJECT_MAX_BYTES} bytes the API server stores; "
            "split it or move the data out",
        )
    elif (data := _data_bytes(resource)) > _DATA_MAX_BYTES:
        yield resource.finding(
            "API-OBJECT-SIZE",
            f"the {resource.kind}'s data is {data} bytes, over the {_DATA_MAX_BYTES} bytes the API server accepts "
            "for all its keys together; split it into several",
            ("data",) if resource.obj.get("data") else (),
        )


def _decoded_length(value: Any) -> int:
    """Bytes a base64 value holds (`binaryData`, a Secret's `data`)."""
    text = "".join(str(value).split())
    return len(text) * 3 // 4 - text[-2:].count("=")


def _data_bytes(resource: Resource) -> int:
    """What ValidateConfigMap and ValidateSecret add up against core.MaxSecretSize."""

    def values(field: str) -> list[Any]:
        data = resource.obj.get(field)
        return list(data.values()) if isinstance(data, dict) else []

    if resource.api_version != "v1":
        return 0
    if resource.kind == "ConfigMap":
        return sum(len(str(v).encode()) for v in values("data")) + sum(map(_decoded_length, values("binaryData")))
    if resource.kind == "Secret":
        return sum(map(_decoded_length, values("data"))) + sum(len(str(v).encode()) for v in values("stringData"))
    return 0


def _pod_spec(resource: Resource) -> Iterator[Finding]:
    found = pod_spec(resource.obj)
    if found is None:
        return
    spec, path = found
    if resource.kind != "Pod":
        template_path = path[:-1]
        yield from _labels(
            resource,
            get_path(resource.obj, (*template_path, "metadata", "labels")),
            (*template_path, "metadata", "labels"),
        )
    volumes = {str(volume.get("name")) for _, volume in dict_items(spec, "volumes")}
    # A StatefulSet's claim templates are volumes of its pods too.
    volumes |= {
        str((claim.get("metadata") or {}).get("name"))
        for _, claim in dict_items(resource.obj.get("spec") or {}, "volumeClaimTemplates")
        if resource.kind == "StatefulSet"
    }
    yield from _duplicates(resource, spec, path, "volumes", "name", "volume")
    containers = [
        (field, position, container)
        for field in ("initContainers", "containers", "ephemeralContainers")
        for position, container in dict_items(spec, field)
    ]
    seen_containers: set[str] = set()
    for field, position, container in containers:
        seen_ports: set[str] = set()
        where = (*path, field, position)
        name = str(container.get("name", ""))
        if name in seen_containers:
            yield resource.finding(
                "API-DUPLICATE", f"container name `{name}` is used twice in the pod", (*where, "name")
            )
        seen_containers.add(name)
        if problem := api_formats.dns1123_label(name):
            yield resource.finding("API-NAME", f"container name `{name}` {problem}", (*where, "name"))
        for port_position, port in dict_items(container, "ports"):
            port_name = port.get("name")
            if port_name is None:
                continue
            port_path = (*where, "ports", port_position, "name")
            if problem := api_formats.port_name(str(port_name)):
                yield resource.finding("API-PORT", f"port name `{port_name}` {problem}", port_path)
            elif str(port_name) in seen_ports:
                yield resource.finding("API-PORT", f"port name `{port_name}` is used twice in the container", port_path)
            seen_ports.add(str(port_name))
        yield from _duplicates(resource, container, where, "volumeMounts", "mountPath", "mount path")
        for mount_position, mount in dict_items(container, "volumeMounts"):
            if str(mount.get("name")) not in volumes:
                yield resource.finding(
                    "API-DUPLICATE",
                    f"volume mount `{mount.get('name')}` names no volume of the pod; add the volume or fix the name",
                    (*where, "volumeMounts", mount_position, "name"),
                )
        yield from _quantities(resource, container, where)


def _duplicates(
    resource: Resource, body: Mapping[str, Any], path: Path, field: str, key: str, what: str
) -> Iterator[Finding]:
    seen: set[str] = set()
    for position, item in dict_items(body, field):
        value = str(item.get(key, ""))
        if value in seen:
            yield resource.finding(
                "API-DUPLICATE",
                f"{what} `{value}` appears twice; the API server refuses it",
                (*path, field, position, key),
            )
        seen.add(value)


def _quantities(resource: Resource, container: Mapping[str, Any], path: Path) -> Iterator[Finding]:
    resources = container.get("resources")
    resources = resources if isinstance(resources, dict) else {}
    parsed: dict[tuple[str, str], Any] = {}
    for section in ("requests", "limits"):
        values = resources.get(section)
        for name, value in values.items() if isinstance(values, dict) else ():
            amount = quantity(value)
            if amount is None:
                yield resource.finding(
                    "API-QUANTITY",
                    f"{section}.{name} `{value}` is not a Kubernetes quantity (like 250m, 1.5, 512Mi, 1Gi)",
                    (*path, "resources", section, str(name)),
                )
            else:
                parsed[(section, str(name))] = amount
    for (section, name), request in parsed.items():
        limit = parsed.get(("limits", name))
        if section == "requests" and limit is not None and request > limit:
            yield resource.finding(
                "API-QUANTITY",
                f"requests.{name} is more than limits.{name}; the API server refuses a request above its limit",
                (*path, "resources", "requests", name),
            )


def _service(resource: Resource) -> Iterator[Finding]:
    if resource.kind != "Service":
        return
    ports = dict_items(resource.obj.get("spec") or {}, "ports")
    seen: set[tuple[str, str]] = set()
    names: set[str] = set()
    for position, port in ports:
        path = ("spec", "ports", position)
        pair = (str(port.get("port")), str(port.get("protocol", "TCP")))
        if pair in seen:
            yield resource.finding("API-PORT", f"port {pair[0]}/{pair[1]} is listed twice", (*path, "port"))
        seen.add(pair)
        name = port.get("name")
        if name is None and len(ports) > 1:
            yield resource.finding("API-PORT", "a Service with several ports must name each one", path)
        elif name is not None:
            if problem := api_formats.dns1123_label(str(name)):
                yield resource.finding("API-PORT", f"port name `{name}` {problem}", (*path, "name"))
            elif str(name) in names:
                yield resource.finding("API-PORT", f"port name `{name}` is used twice", (*path, "name"))
            names.add(str(name))
        target = port.get("targetPort")
        if isinstance(target, str) and not target.isdigit() and (problem := api_formats.port_name(target)):
            yield resource.finding("API-PORT", f"targetPort `{target}` {problem}", (*path, "targetPort"))


def _selector(resource: Resource) -> Iterator[Finding]:
    if resource.kind not in _WORKLOADS_WITH_SELECTOR:
        return
    spec = resource.obj.get("spec") or {}
    selector = spec.get("selector")
    labels = get_path(spec, ("template", "metadata", "labels")) or {}
    match_labels = selector if resource.kind == "ReplicationController" else (selector or {}).get("matchLabels")
    yield from _labels(
        resource,
        match_labels,
        ("spec", "selector") if resource.kind == "ReplicationController" else ("spec", "selector", "matchLabels"),
    )
    if not isinstance(labels, dict):
        return
    required = match_labels if isinstance(match_labels, dict) else {}
    mismatched = sorted(str(key) for key, value in required.items() if str(labels.get(key)) != str(value))
    if resource.kind != "ReplicationController" and isinstance(selector, dict):
        mismatched += [
            f"matchExpressions[{position}] ({expression.get('key')} {expression.get('operator')})"
            for position, expression in dict_items(selector, "matchExpressions")
            if not _expression_matches(expression, labels)
        ]
    if mismatched:
        yield resource.finding(
            "API-SELECTOR",
            f"the selector's {', '.join(mismatched)} does not match the pod template's labels; the API server refuses "
            "a selector that does not select its own pods",
            ("spec", "selector"),
        )


def _expression_matches(expression: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    """One requirement of a LabelSelector (apimachinery's labels.Requirement.Matches) against a label set."""
    key, operator = str(expression.get("key")), expression.get("operator")
    values = {str(value) for value in expression.get("values") or []}
    present = key in labels
    if operator == "In":
        return present and str(labels[key]) in values
    if operator == "NotIn":
        return not present or str(labels[key]) not in values
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    return True  # an unknown operator is the schema's to refuse


def _cron_schedule(resource: Resource) -> Iterator[Finding]:
    if resource.kind != "CronJob":
        return
    schedule = str(get_path(resource.obj, ("spec", "schedule")) or "")
    if "TZ=" in schedule:
        problem = "may not set a time zone (TZ= or CRON_TZ=); use spec.timeZone"
    elif _CRON_DESCRIPTORS.fullmatch(schedule) or (len(schedule.split()) == 5 and croniter.is_valid(schedule)):
        return
    else:
        problem = "is not a five-field cron schedule (minute hour day-of-month month day-of-week) or an @descriptor"
    yield resource.finding("API-CRON", f"schedule `{schedule}` {problem}", ("spec", "schedule"))
