"""Where the tools keep what they can recompute: $XDG_CACHE_HOME/gitops-toolkit (default ~/.cache)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gitops-toolkit"
