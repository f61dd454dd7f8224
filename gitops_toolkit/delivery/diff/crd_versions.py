"""A CustomResourceDefinition change the API server will refuse: kube-apiserver validates every CRD update
against its `status.storedVersions` (each must still appear in `spec.versions`, "must appear in
spec.versions"), and the version the base stores its objects in is certainly listed there. Argo CD's sync of
such a change fails, and the old CRD stays."""

from __future__ import annotations

from typing import Any

import yaml

from gitops_toolkit.core.bounded_yaml import load_trusted_yaml
from gitops_toolkit.core.object_paths import mapping
from gitops_toolkit.core.resource import Resource


def _versions(crd: Resource) -> list[dict[str, Any]]:
    """Its `spec.versions` (or the v1beta1 `spec.version`), read from the full text for a chart's CRD."""
    obj = crd.obj
    if crd.crd_text:
        try:
            documents = [document for document in load_trusted_yaml(crd.crd_text) if isinstance(document, dict)]
        except yaml.YAMLError:
            return []
        obj = documents[0] if documents else {}
    spec = mapping(obj.get("spec"))
    versions = [version for version in spec.get("versions") or [] if isinstance(version, dict)]
    if not versions and spec.get("version"):
        versions = [{"name": spec["version"], "served": True, "storage": True}]
    return versions


def dropped_stored_version(before: Resource, after: Resource) -> str:
    """The note for a CRD whose new `spec.versions` leaves out the version its old one stored objects in, or ""."""
    if after.kind != "CustomResourceDefinition":
        return ""
    stored = [str(version.get("name")) for version in _versions(before) if version.get("storage") is True]
    kept = {str(version.get("name")) for version in _versions(after)}
    if not stored or not kept or stored[0] in kept:
        return ""
    return (
        f"refused by the API server: it drops {stored[0]}, the version its objects are stored in (kube-apiserver: "
        f'`status.storedVersions: Invalid value: "{stored[0]}": must appear in spec.versions`); keep {stored[0]} '
        "with served: false and storage: false until its objects are rewritten and status.storedVersions no "
        "longer lists it"
    )
