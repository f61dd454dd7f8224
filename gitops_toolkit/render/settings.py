"""The gate's site settings as rendering needs them: which repository URL is this checkout."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from gitops_toolkit.core.gate_settings import GateConfig, read_settings
from gitops_toolkit.tools.git import origin_url


def load_config(root: Path) -> GateConfig:
    """The settings of pyproject.toml; without a repository URL there, the clone's `origin` is this repository."""
    config = read_settings(root)
    if config.repository_url:
        return config
    return dataclasses.replace(config, repository_url=origin_url(root))
