"""An Application's `spec.source.kustomize`, as Argo CD applies it to the path before building it (`kustomize
edit set image`, `set replicas`, `set nameprefix`, `set namespace`, `add label`, `add annotation`, `add
component`, and its patches): written as an overlay on the path in a temporary directory and built by the same
kustomize, so that the gate checks what the Application deploys rather than the path alone.

An overlay composes where `kustomize edit` replaces: a namePrefix or nameSuffix of the Application adds to the
one the path sets, and a patch target names the objects as the path renders them."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from gitops_toolkit.render.kustomize import Rendering, RenderLimits, render_one

_AS_GIVEN = ("namePrefix", "nameSuffix", "namespace", "commonAnnotations")


def image_override(text: str) -> dict[str, str]:
    """`kustomize edit set image` syntax (`name=newName:tag`, `name:tag`, `name@sha256:…`, `name=newName`) as
    an entry of a kustomization's `images`."""
    name, renamed, replacement = text.strip().partition("=")
    reference, _, digest = (replacement if renamed else text.strip()).partition("@")
    slash, colon = reference.rfind("/"), reference.rfind(":")
    image, tag = (reference[:colon], reference[colon + 1 :]) if colon > slash else (reference, "")
    entry = {"name": name if renamed else image}
    if renamed and image:
        entry["newName"] = image
    if tag:
        entry["newTag"] = tag
    if digest:
        entry["digest"] = digest
    return entry


def _labels(settings: dict[str, Any]) -> dict[str, Any]:
    labels = settings.get("commonLabels")
    if not isinstance(labels, dict):
        return {}
    if settings.get("labelWithoutSelector") is True:  # `kustomize edit add label --without-selector`
        include_templates = settings.get("labelIncludeTemplates") is True
        return {"labels": [{"pairs": labels, "includeSelectors": False, "includeTemplates": include_templates}]}
    return {"commonLabels": labels}


def _patch(patch: Any, read_patch: Callable[[str], str]) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if isinstance(patch, dict):
        entry["patch"] = str(patch["patch"]) if patch.get("patch") else read_patch(str(patch.get("path", "")))
        entry.update({key: patch[key] for key in ("target", "options") if isinstance(patch.get(key), dict)})
    return entry


def overlay(
    settings: dict[str, Any], path: Path, overlay_dir: Path, read_patch: Callable[[str], str]
) -> dict[str, Any]:
    """The kustomization, in `overlay_dir`, that builds `path` as the settings ask; `read_patch` gives the text of
    a patch the Application names by its path (relative to `path`)."""
    kustomization: dict[str, Any] = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [os.path.relpath(path, overlay_dir)],  # kustomize refuses an absolute root
    }
    kustomization.update({key: settings[key] for key in _AS_GIVEN if key in settings})
    kustomization.update(_labels(settings))
    if isinstance(settings.get("images"), list):
        kustomization["images"] = [image_override(str(image)) for image in settings["images"]]
    if isinstance(settings.get("replicas"), list):
        kustomization["replicas"] = [
            {"name": str(entry.get("name")), "count": int(str(entry.get("count")))}
            for entry in settings["replicas"]
            if isinstance(entry, dict)
        ]
    if isinstance(settings.get("patches"), list):
        kustomization["patches"] = [_patch(patch, read_patch) for patch in settings["patches"]]
    if isinstance(settings.get("components"), list):
        kustomization["components"] = [os.path.relpath(path / str(c), overlay_dir) for c in settings["components"]]
    return kustomization


def render_with_overrides(
    settings: dict[str, Any], path: Path, read_patch: Callable[[str], str], limits: RenderLimits
) -> Rendering:
    """`path` built with the Application's settings; a failure names no temporary path."""
    with tempfile.TemporaryDirectory(prefix="argocd-kustomize-") as directory:
        overlay_dir = Path(directory)
        kustomization = overlay(settings, path, overlay_dir, read_patch)
        (overlay_dir / "kustomization.yaml").write_text(yaml.safe_dump(kustomization), encoding="utf-8")
        rendering = render_one(overlay_dir, limits)
    return Rendering(path, rendering.text, rendering.failure_rule, rendering.failure.replace(f"{directory}/", ""))
