"""Stage 3: render each entry point with `kubectl kustomize`, in parallel, each under its limits."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_toolkit.tools.kustomize import KustomizeError, kustomize_build

_RULE_BY_REASON = {"failed": "RENDER-FAILED", "timeout": "RENDER-TIMEOUT", "memory": "RENDER-MEMORY-LIMIT"}


@dataclass(frozen=True)
class RenderLimits:
    timeout_seconds: float = 60.0
    memory_bytes: int = 2 * 1024**3
    jobs: int = os.cpu_count() or 2


@dataclass(frozen=True)
class Rendering:
    entry: Path
    text: str = ""
    failure_rule: str = ""
    failure: str = ""
    objects: list[Any] | None = None  # `text` already parsed (a cached rendering), else None


def render_one(entry: Path, limits: RenderLimits) -> Rendering:
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
        futures = [pool.submit(render_one, entry, limits) for entry in entries]
        if on_done is not None:
            for future in as_completed(futures):
                on_done(future.result())
        return [future.result() for future in futures]
