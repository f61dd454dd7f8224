"""Every rule of the gate: a stable ID and its severity. docs/rules.md explains each one."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


RULES: dict[str, Severity] = {
    # discover
    "DISCOVER-UNUSED-COMPONENT": Severity.WARNING,
    # guard: before anything runs
    "GUARD-REMOTE-RESOURCE": Severity.ERROR,
    "GUARD-PATH-ESCAPE": Severity.ERROR,
    "GUARD-MISSING-FILE": Severity.ERROR,
    "GUARD-HELM-INFLATION": Severity.ERROR,
    "GUARD-FILE-TOO-LARGE": Severity.ERROR,
    "GUARD-NOT-UTF8": Severity.ERROR,
    "GUARD-YAML-SYNTAX": Severity.ERROR,
    "GUARD-YAML-ALIASES": Severity.ERROR,
    "GUARD-YAML-DUPLICATE-KEY": Severity.ERROR,
    # render
    "RENDER-FAILED": Severity.ERROR,
    "RENDER-TIMEOUT": Severity.ERROR,
    "RENDER-MEMORY-LIMIT": Severity.ERROR,
    "RENDER-SKIPPED": Severity.INFO,
    # schema
    "SCHEMA-INVALID": Severity.ERROR,
    "SCHEMA-UNKNOWN-API": Severity.ERROR,
    "SCHEMA-NO-SCHEMA": Severity.WARNING,
}
