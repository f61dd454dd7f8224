"""Duplicates in the files a person edits, before kustomize merges them away: in a pod spec, two list
entries with the same key (containers, env variables, ports, volumes, mount paths) are merged by a
strategic-merge patch (the second silently wins) and so never reach the rendered output the rules read."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from gitops_toolkit.core.bounded_yaml import YamlDocument
from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.object_paths import dict_items, pod_spec
from gitops_toolkit.render.read.source_files import SourceFiles

FieldPath = tuple[str | int, ...]
# (list field, key that identifies an entry, what a person calls it); for pod specs and for each container.
_POD_LISTS = (
    ("containers", "name", "container"),
    ("initContainers", "name", "init container"),
    ("volumes", "name", "volume"),
)
_CONTAINER_LISTS = (
    ("env", "name", "env variable"),
    ("ports", "containerPort", "port"),
    ("volumeMounts", "mountPath", "mount path"),
)
# Ports are told apart by protocol too (53/TCP and 53/UDP are two ports).
_QUALIFIERS = {"containerPort": ("protocol", "TCP")}


def _repeats(
    document: YamlDocument, body: Any, path: FieldPath, lists: Iterable[tuple[str, str, str]]
) -> Iterator[tuple[int, str]]:
    for field, key, what in lists:
        seen: set[str] = set()
        for position, item in dict_items(body, field):
            value = str(item.get(key))
            if key in _QUALIFIERS:
                qualifier, default = _QUALIFIERS[key]
                value = f"{value}/{item.get(qualifier, default)}"
            if key in item and value in seen:
                yield document.line_of([*path, field, position, key]), f"{what} `{value}` is listed twice"
            seen.add(value)


def _pod_spec_repeats(document: YamlDocument) -> Iterator[tuple[int, str]]:
    found = pod_spec(document.data)
    if found is None:
        return
    spec, spec_path = found
    yield from _repeats(document, spec, spec_path, _POD_LISTS)
    for field in ("initContainers", "containers"):
        for position, container in dict_items(spec, field):
            yield from _repeats(document, container, (*spec_path, field, position), _CONTAINER_LISTS)


def source_duplicates(tree: SourceFiles, files: Iterable[Path]) -> list[Finding]:
    return [
        Finding(
            tree.relative(path),
            line,
            "SOURCE-DUPLICATE",
            f"{problem}; a kustomize patch would merge the two (the last wins) and the rendered output would hide "
            "it: keep one",
        )
        for path in sorted(set(files))
        for document in tree.documents(path)
        for line, problem in _pod_spec_repeats(document)
    ]
