"""The cluster's admin kubeconfig on the operator's machine: written once kubeadm made it, mode 0600 from the
first byte, replaced atomically, never inside the repository (where `git add .` would commit its key)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from gitops_toolkit.core.errors import ToolError

DEFAULT_KUBECONFIG = Path("~") / ".kube" / "gitops-platform.conf"


def kubeconfig_path(requested: str, root: Path) -> Path:
    path = Path(os.path.expanduser(requested or str(DEFAULT_KUBECONFIG))).absolute()
    if path.resolve().is_relative_to(root.resolve()):
        raise ToolError(
            f"--kubeconfig {requested}: inside the repository, where its private key could be committed; "
            f"choose a path outside it (default {DEFAULT_KUBECONFIG})"
        )
    return path


def local_sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def write_private(path: Path, content: str) -> None:
    """Write `content` readable by its owner only, through a temporary file renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
