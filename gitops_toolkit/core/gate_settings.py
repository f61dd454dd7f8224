"""The gate's site settings, read from `[tool.gitops-toolkit.gate]` in the repository's pyproject.toml."""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_toolkit.core.errors import ToolError

_SECTION = ("tool", "gitops-toolkit", "gate")


@dataclass(frozen=True)
class GateConfig:
    # The URL Argo CD clones this repository from: sources with it are rendered from this checkout.
    repository_url: str = ""
    # Image name prefixes images may come from (after normalising `redis` to docker.io/library/redis).
    allowed_registries: tuple[str, ...] = ()
    # host:port addresses, named in env values, that live outside what the gate renders.
    external_services: tuple[str, ...] = ()
    # ConfigMaps, Secrets and PVCs created outside git, as "Kind/namespace/name".
    external_references: tuple[str, ...] = ()
    # Helm values a chart reads as a whole map (any key goes), as "chart:dotted.path".
    free_form_values: tuple[str, ...] = ()
    # The inventory (repository-relative) whose machines the capacity rules measure the cluster by; "" for none.
    inventory: str = ""

    def free_form(self, chart: str) -> frozenset[str]:
        return frozenset(entry.partition(":")[2] for entry in self.free_form_values if entry.partition(":")[0] == chart)


def read_settings(root: Path) -> GateConfig:
    """The settings as pyproject.toml writes them (render.settings fills in a missing repository URL)."""
    path = root / "pyproject.toml"
    if not path.is_file():
        return GateConfig()
    try:
        document: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ToolError(f"{path}: not valid TOML ({error}); fix the file") from None
    section: Any = document
    for key in _SECTION:
        section = section.get(key, {}) if isinstance(section, dict) else {}
    values: dict[str, Any] = {}
    for field in dataclasses.fields(GateConfig):
        key = field.name.replace("_", "-")
        if key not in section:
            continue
        value = section[key]
        if isinstance(field.default, str):
            if not isinstance(value, str):
                raise ToolError(f"{path}: [{'.'.join(_SECTION)}] {key} must be a string")
            values[field.name] = value
        elif isinstance(value, list) and all(isinstance(item, str) for item in value):
            values[field.name] = tuple(value)
        else:
            raise ToolError(f"{path}: [{'.'.join(_SECTION)}] {key} must be a list of strings")
    return GateConfig(**values)
