"""Alertmanager's routing as written in observability/alertmanager/values.yaml, checked with amtool:
the configuration is valid and every case of route-tests.yaml reaches exactly its receivers."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.tools.amtool import check_config, resolved_receivers

VALUES = Path("observability/alertmanager/values.yaml")
ROUTE_TESTS = Path("observability/alertmanager/route-tests.yaml")


@dataclass(frozen=True)
class RouteResult:
    labels: dict[str, str]
    expected: list[str]
    resolved: list[str]

    @property
    def passed(self) -> bool:
        return self.expected == self.resolved


def alertmanager_config(root: Path) -> dict[str, Any]:
    values = yaml.safe_load((root / VALUES).read_text(encoding="utf-8")) or {}
    config = (values.get("alertmanager") or {}).get("config")
    if not isinstance(config, dict):
        raise ToolError(f"{VALUES}: no alertmanager.config mapping")
    return config


@contextmanager
def config_file(config: dict[str, Any]) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="alertmanager-") as directory:
        path = Path(directory) / "alertmanager.yml"
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        yield path


def check_routing(root: Path) -> tuple[bool, str, list[RouteResult]]:
    """(configuration valid, amtool's report, one result per route test case)."""
    cases = (yaml.safe_load((root / ROUTE_TESTS).read_text(encoding="utf-8")) or {}).get("cases") or []
    with config_file(alertmanager_config(root)) as path:
        valid, report = check_config(path)
        results = [
            RouteResult(
                {str(k): str(v) for k, v in case["labels"].items()},
                list(case["receivers"]),
                resolved_receivers(path, {str(k): str(v) for k, v in case["labels"].items()}) if valid else [],
            )
            for case in cases
        ]
    return valid, report, results
