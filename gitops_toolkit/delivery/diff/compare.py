"""Two renderings paired resource by resource (group, kind, namespace, name) and compared as sorted YAML.
kustomize's content-hash suffix is not part of a generated ConfigMap's or Secret's identity: a renamed one is
a change, called out as such. Secret values, and anything the secret scan would flag, never reach the diff."""

from __future__ import annotations

import base64
import contextlib
import copy
import difflib
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from gitops_toolkit.core.resource import Resource
from gitops_toolkit.core.secret_patterns import secrets_in
from gitops_toolkit.delivery.diff.crd_versions import dropped_stored_version
from gitops_toolkit.delivery.diff.sides import Side
from gitops_toolkit.render.applications import CHART_ENTRY_PREFIX

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
# kustomize's hash suffix on generated ConfigMaps and Secrets: ten characters of its own alphabet.
_HASH_SUFFIX = re.compile(r"-[2-9b-df-hkmt]{10}$")
_HASHED_KINDS = ("ConfigMap", "Secret")
REDACTED = "<redacted>"
# kubectl's copy of the whole object it applied: for a Secret, its values once more.
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_SECRET_FIELDS = ("data", "stringData")
_SHORTEST_SECRET = 4


@dataclass(frozen=True)
class Key:
    group: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"


@dataclass
class ResourceChange:
    change: str  # ADDED, REMOVED or CHANGED
    key: Key
    source: str  # the Application (or the path) that deploys it
    diff: str = ""
    notes: list[str] = field(default_factory=list)


def _identity(resource: Resource) -> tuple[Key, str]:
    """Its key, and the hash suffix its name carried (if any)."""
    name = str(resource.metadata.get("name", ""))
    suffix = ""
    if resource.kind in _HASHED_KINDS and (match := _HASH_SUFFIX.search(name)):
        suffix, name = match.group(0), name[: match.start()]
    namespace = str(resource.metadata.get("namespace", "") or "")
    return Key(resource.api_group, resource.kind, namespace, name), suffix


def _source(resource: Resource, side: Side) -> str:
    if resource.entry.startswith(CHART_ENTRY_PREFIX):
        return resource.entry.removeprefix(CHART_ENTRY_PREFIX).split(":", 1)[0]
    return side.owners.get(resource.entry, resource.entry)


def _chart(resource: Resource) -> str:
    """ "chart argo-cd 10.1.1" for a chart's output, else ""."""
    return resource.entry.split(": ", 1)[1] if resource.entry.startswith(CHART_ENTRY_PREFIX) else ""


def _shown(resource: Resource) -> tuple[str, bool]:
    """The resource as compared (sorted YAML, secrets redacted), and whether anything was redacted."""
    if resource.crd_text:
        return resource.crd_text, False
    obj = copy.deepcopy(resource.obj)
    redacted = _redact_secret(obj) if resource.kind == "Secret" else False
    lines = []
    for line in yaml.safe_dump(obj, sort_keys=True, width=4096).splitlines():
        if any(True for _ in secrets_in(line)):
            key = line.split(":", 1)[0] if ":" in line else line[: len(line) - len(line.lstrip())]
            line, redacted = f"{key}: {REDACTED}", True
        lines.append(line)
    return "\n".join(lines) + "\n", redacted


def _secret_values(obj: dict[str, Any]) -> list[str]:
    """A Secret's values as written (base64 in `data`) and decoded, the short ones left out (they match too much)."""
    values = []
    for field_name in _SECRET_FIELDS:
        for value in (obj.get(field_name) or {}).values() if isinstance(obj.get(field_name), dict) else ():
            values.append(str(value))
            if field_name == "data":
                with contextlib.suppress(ValueError):  # binascii.Error is one
                    values.append(base64.b64decode(str(value), validate=True).decode("utf-8", errors="replace"))
    return [value for value in values if len(value) >= _SHORTEST_SECRET]


def _redact_secret(obj: dict[str, Any]) -> bool:
    """Blank a Secret's values in place wherever they appear: its data, and any annotation that repeats them
    (kubectl's last-applied-configuration always). Whether anything was blanked."""
    values = _secret_values(obj)
    redacted = False
    for field_name in _SECRET_FIELDS:
        if isinstance(obj.get(field_name), dict) and obj[field_name]:
            obj[field_name] = {key: REDACTED for key in obj[field_name]}
            redacted = True
    metadata = obj.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    if not isinstance(annotations, dict):
        return redacted
    for name in list(annotations):
        if name == _LAST_APPLIED or any(value in str(annotations[name]) for value in values):
            annotations[name] = REDACTED
            redacted = True
    return redacted


def _secret_values_changed(before: Resource, after: Resource) -> bool:
    return any(before.obj.get(name) != after.obj.get(name) for name in _SECRET_FIELDS)


def compare(base: Side, head: Side) -> list[ResourceChange]:
    before = {_identity(r)[0]: r for r in base.resources}
    after = {_identity(r)[0]: r for r in head.resources}
    changes = []
    for key in sorted(before.keys() | after.keys(), key=lambda k: (k.namespace, k.kind, k.name, k.group)):
        old, new = before.get(key), after.get(key)
        if old is None and new is not None:
            diff = _unified(key, "", _shown(new)[0])
            changes.append(ResourceChange(ADDED, key, _source(new, head), diff, _chart_cause(base, head, new)))
            continue
        if new is None and old is not None:
            diff = _unified(key, _shown(old)[0], "")
            changes.append(ResourceChange(REMOVED, key, _source(old, base), diff, _chart_cause(base, head, old)))
            continue
        assert old is not None and new is not None
        if old.obj == new.obj and old.crd_text == new.crd_text:
            continue  # most of them: nothing to show, nothing to dump
        (old_text, old_redacted), (new_text, new_redacted) = _shown(old), _shown(new)
        notes = []
        if key.kind == "Secret" and _secret_values_changed(old, new):
            notes.append("its data changed (values redacted)")
        elif (old_redacted or new_redacted) and old.obj != new.obj and old_text == new_text:
            notes.append("a value the secret scan flags changed (redacted)")
        old_suffix, new_suffix = _identity(old)[1], _identity(new)[1]
        if old_suffix != new_suffix:
            notes.append(f"kustomize's content hash in its name: {key.name}{old_suffix} -> {key.name}{new_suffix}")
        if refused := dropped_stored_version(old, new):
            notes.append(refused)
        if old_text != new_text or notes:
            notes += _chart_cause(base, head, new, old)
            changes.append(ResourceChange(CHANGED, key, _source(new, head), _unified(key, old_text, new_text), notes))
    return changes


def _chart_cause(base: Side, head: Side, resource: Resource, old: Resource | None = None) -> list[str]:
    """For a chart's output: the chart version or the values that changed it."""
    if not _chart(resource):
        return []
    if old is not None and _chart(old) and _chart(old) != _chart(resource):
        return [f"rendered by {_chart(resource)} (was {_chart(old)})"]
    application = _source(resource, head)
    before, after = base.values.get(application, {}), head.values.get(application, {})
    changed = sorted(where for where in before.keys() | after.keys() if before.get(where) != after.get(where))
    return [f"its chart's values changed in {', '.join(changed)}"] if changed else []


def _unified(key: Key, before: str, after: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{key}", f"b/{key}", n=3
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
