"""What a CustomResourceDefinition says, read from its text without parsing it (upstream CRDs are machine-written
in one layout, and megabytes long): its group, kind and scope, and the API versions it serves. Rendering needs
this to tell Helm which APIs the cluster serves; the schema stage, to know which file defines a kind."""

from __future__ import annotations

import re
from typing import Any

from gitops_toolkit.render.read.manifest_text import split_documents, top_level

_CRD_KIND = re.compile(r"^kind:[ \t]*['\"]?CustomResourceDefinition['\"]?[ \t]*$", re.MULTILINE)
# Lines matched with the newline before them (so search "\n" + text): a pattern that starts with a literal is
# searched for many times quicker than one that starts with `^`, over megabytes of schemas.
_SPEC_GROUP = re.compile(r"\n  group:[ \t]*['\"]?([A-Za-z0-9.-]+)['\"]?[ \t]*$", re.MULTILINE)
_NAMES_KIND = re.compile(
    r"\n  names:[ \t]*\n(?:    .*\n)*?    kind:[ \t]*['\"]?([A-Za-z0-9]+)['\"]?[ \t]*$", re.MULTILINE
)
_VERSION_NAME = re.compile(r"\n(?:  - |    )name:[ \t]*['\"]?([a-z0-9]+)['\"]?[ \t]*$", re.MULTILINE)


def _lines(pattern: re.Pattern[str], text: str) -> list[str]:
    return pattern.findall("\n" + text)


def served_api_versions(text: str) -> set[str]:
    """`group/version` of every CRD version in the text (its usual layout; a version that is not served is rare
    enough to count), what a cluster with these CRDs lists as API versions. Templated CRDs count too."""
    versions: set[str] = set()
    for document in split_documents(text):
        if not _CRD_KIND.search(document):
            continue
        groups = _lines(_SPEC_GROUP, document)
        versions_block = document.partition("\n  versions:")[2]
        if len(groups) == 1 and versions_block:
            versions |= {f"{groups[0]}/{name}" for name in _lines(_VERSION_NAME, versions_block)}
    return versions


_SCOPE = re.compile(r"\n  scope:[ \t]*['\"]?(Namespaced|Cluster)['\"]?[ \t]*$", re.MULTILINE)


def crd_stub(document: str) -> dict[str, Any] | None:
    """What the gate needs of one CRD document without parsing it (its identity, group, kind and scope), when
    it has the usual machine-written layout; else None."""
    head = document.partition("\n  versions:")[0]  # the schemas that follow are most of a CRD's text
    if not _CRD_KIND.search(head):
        return None
    # Most CRDs put `versions` last; those that do not are searched whole.
    groups = _lines(_SPEC_GROUP, head) or _lines(_SPEC_GROUP, document)
    kinds = _lines(_NAMES_KIND, head) or _lines(_NAMES_KIND, document)
    identity = top_level(head)
    if identity is None or not identity[0].startswith("apiextensions.k8s.io/") or len(groups) != 1 or len(kinds) != 1:
        return None
    api_version, _, name, _ = identity
    (group,), (kind,) = groups, kinds
    scope = _lines(_SCOPE, head) or _lines(_SCOPE, document)
    return {
        "apiVersion": api_version,
        "kind": "CustomResourceDefinition",
        "metadata": {"name": name},
        "spec": {"group": group, "names": {"kind": kind}, "scope": scope[0] if scope else "Namespaced"},
    }


def defined_kinds(text: str) -> set[tuple[str, str]] | None:
    """(group, kind) of every CRD in the text, or None when its layout is not the usual one (then parse it)."""
    kinds: set[tuple[str, str]] = set()
    for document in split_documents(text):
        if not _CRD_KIND.search(document):
            continue
        groups, names = _lines(_SPEC_GROUP, document), _lines(_NAMES_KIND, document)
        if len(groups) != 1 or len(names) != 1:
            return None
        kinds.add((groups[0], names[0]))
    return kinds
