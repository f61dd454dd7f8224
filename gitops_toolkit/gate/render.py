"""Stage 3: render each entry point with `kubectl kustomize`, in parallel, each under its limits.

Each entry is built through a throw-away wrapper kustomization that turns on kustomize's origin
annotations, so every rendered resource says which source file it came from."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from gitops_toolkit.kubectl import KubectlError, kustomize_build

_RULE_BY_REASON = {"failed": "RENDER-FAILED", "timeout": "RENDER-TIMEOUT", "memory": "RENDER-MEMORY-LIMIT"}


@dataclass(frozen=True)
class RenderLimits:
    timeout_seconds: float = 60.0
    memory_bytes: int = 2 * 1024**3
    jobs: int = os.cpu_count() or 2


@dataclass(frozen=True)
class Rendering:
    entry: Path
    wrapper: Path
    text: str = ""
    failure_rule: str = ""
    failure: str = ""


@contextmanager
def wrappers_directory() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="gate-render-") as directory:
        yield Path(directory)


def _write_wrapper(entry: Path, wrapper: Path) -> None:
    wrapper.mkdir(parents=True)
    relative_entry = os.path.relpath(entry, wrapper)
    (wrapper / "kustomization.yaml").write_text(
        f"resources:\n- {relative_entry}\nbuildMetadata:\n- originAnnotations\n", encoding="utf-8"
    )


def _render_one(entry: Path, wrapper: Path, limits: RenderLimits) -> Rendering:
    try:
        text = kustomize_build(wrapper, limits.timeout_seconds, limits.memory_bytes)
    except KubectlError as error:
        message = error.message.replace(str(wrapper) + "/", "").replace(str(wrapper), "")
        return Rendering(entry, wrapper, failure_rule=_RULE_BY_REASON[error.reason], failure=message)
    return Rendering(entry, wrapper, text=text)


def render_all(
    entries: list[Path], workspace: Path, limits: RenderLimits, on_done: Callable[[Rendering], None] | None = None
) -> list[Rendering]:
    """Render every entry; results come back in the order of `entries`."""
    wrappers = [workspace / f"entry-{number}" for number in range(len(entries))]
    for entry, wrapper in zip(entries, wrappers, strict=True):
        _write_wrapper(entry, wrapper)
    with ThreadPoolExecutor(max_workers=max(1, limits.jobs)) as pool:
        futures = [
            pool.submit(_render_one, entry, wrapper, limits)
            for entry, wrapper in zip(entries, wrappers, strict=True)
        ]
        if on_done is not None:
            for future in as_completed(futures):
                on_done(future.result())
        return [future.result() for future in futures]
