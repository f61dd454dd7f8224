"""What the Applications that deploy another project's git repository own (gateway-api-crds, argo-cd-crds),
read from the files the CRD lock pins for them: each object's API group, kind, namespace and name, taken from
the text (upstream files are machine-written), so that the large CRDs need not be parsed."""

from __future__ import annotations

from pathlib import Path

import yaml

from gitops_toolkit.core.bounded_yaml import load_trusted_yaml
from gitops_toolkit.core.resource import CLUSTER_SCOPED, Resource
from gitops_toolkit.render.applications import destination_namespace, same_repository, sources
from gitops_toolkit.render.crds.lock import LockedCrd
from gitops_toolkit.render.read.manifest_text import split_documents, top_level

Identity = tuple[str, str, str, str]  # API group, kind, namespace ("" when cluster-scoped), name


def _identity(document: str, namespace: str) -> Identity | None:
    found = top_level(document)
    if found is None:
        return None
    api_version, kind, name, own_namespace = found
    scope = "" if kind in CLUSTER_SCOPED else (own_namespace or namespace)
    return (api_version.rpartition("/")[0], kind, scope, name)


def _parsed_identities(document: str, namespace: str) -> list[Identity]:
    """The slow way, for a document whose layout the patterns do not know."""
    try:
        objects = load_trusted_yaml(document)
    except yaml.YAMLError:
        return []
    found = []
    for obj in objects:
        if isinstance(obj, dict) and isinstance(obj.get("metadata"), dict):
            kind = str(obj.get("kind", ""))
            scope = "" if kind in CLUSTER_SCOPED else str(obj["metadata"].get("namespace") or namespace)
            found.append(
                (str(obj.get("apiVersion", "")).rpartition("/")[0], kind, scope, str(obj["metadata"].get("name")))
            )
    return found


def upstream_owners(
    root: Path, verified: list[LockedCrd], applications: list[Resource], repository_url: str
) -> dict[Identity, str]:
    """Identity of every object in the locked files of an Application that deploys another git repository,
    with that Application's name."""
    upstream = {
        application.ref.name: application
        for application in applications
        if any(s.path and not s.chart and not same_repository(s.repo_url, repository_url) for s in sources(application))
    }
    owners: dict[Identity, str] = {}
    for entry in verified:
        application = upstream.get(entry.application)
        if application is None:
            continue
        namespace = destination_namespace(application)
        text = (root / entry.path).read_text(encoding="utf-8", errors="replace")
        for document in split_documents(text):
            if not document.strip():
                continue
            identity = _identity(document, namespace)
            for found in [identity] if identity else _parsed_identities(document, namespace):
                owners[found] = entry.application
    return owners
