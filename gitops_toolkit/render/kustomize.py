"""Stage 3: render each entry point with `kubectl kustomize`, in parallel, each under its limits; and one
kustomization alone, for a verb that needs one overlay rather than the repository."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_toolkit.core.bounded_yaml import load_trusted_yaml
from gitops_toolkit.render.rendered import RenderError, RenderLimits
from gitops_toolkit.tools.kustomize import KustomizeError, kustomize_build

_RULE_BY_REASON = {"failed": "RENDER-FAILED", "timeout": "RENDER-TIMEOUT", "memory": "RENDER-MEMORY-LIMIT"}


@dataclass(frozen=True)
class Rendering:
    entry: Path
    text: str = ""
    failure_rule: str = ""
    failure: str = ""


def _render_one(entry: Path, limits: RenderLimits) -> Rendering:
    try:
        text = kustomize_build(entry, limits.timeout_seconds, limits.memory_bytes)
    except KustomizeError as error:
        return Rendering(entry, failure_rule=_RULE_BY_REASON[error.reason], failure=error.message)
    return Rendering(entry, text=text)


def render_all(
    entries: list[Path], limits: RenderLimits, on_done: Callable[[Rendering], None] | None = None
) -> list[Rendering]:
    """Render every entry; results come back in the order of `entries`."""
    with ThreadPoolExecutor(max_workers=max(1, limits.jobs)) as pool:
        futures = [pool.submit(_render_one, entry, limits) for entry in entries]
        if on_done is not None:
            for future in as_completed(futures):
                on_done(future.result())
        return [future.result() for future in futures]


def render_kustomization(directory: Path, limits: RenderLimits | None = None) -> list[Any]:
    """The objects one kustomization renders."""
    rendering = _render_one(directory, limits or RenderLimits())
    if rendering.failure_rule:
        raise RenderError(rendering.failure)
    return load_trusted_yaml(rendering.text)
