"""The images an overlay renders, by service: the last path component of each container image's name
(`.../microservices-demo/frontend:v0.10.6` is the service `frontend`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.render.single_source import RenderError, render_kustomization


def image_name(reference: str) -> str:
    """An image reference without its digest and tag (a registry's port is kept)."""
    name = reference.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    return name[:colon] if colon > slash else name


def _images(value: Any) -> Iterator[str]:
    """Every container and init container image anywhere in a rendered object (pod templates at any depth)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("containers", "initContainers") and isinstance(item, list):
                yield from (str(c["image"]) for c in item if isinstance(c, dict) and c.get("image"))
            else:
                yield from _images(item)
    elif isinstance(value, list):
        for item in value:
            yield from _images(item)


def rendered_images(overlay: Path) -> dict[str, str]:
    """{service: image name} for every image the overlay renders."""
    try:
        rendered = render_kustomization(overlay)
    except RenderError as error:
        raise ToolError(f"{overlay}: does not render ({error})") from None
    names = {image_name(reference) for document in rendered for reference in _images(document)}
    return {name.rsplit("/", 1)[-1]: name for name in sorted(names)}
