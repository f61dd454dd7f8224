"""The plain data every stage returns: findings that point at the file a person edits."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from gitops_toolkit.core.rule_catalog import RULES, Severity


@dataclass(frozen=True, order=True)
class ResourceRef:
    kind: str = ""
    namespace: str = ""
    name: str = ""

    def __str__(self) -> str:
        if not self.kind:
            return ""
        scope = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {scope}{self.name}"


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    rule: str
    message: str
    resource: ResourceRef = field(default_factory=ResourceRef)
    severity: Severity = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "severity", RULES[self.rule])


def unique_sorted(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per (place, rule, resource, message): a base defect seen by two overlays is one defect
    only when the resources are the same; different namespaces stay separate."""
    return sorted(set(findings))


def check_failed(path: str, check: str, error: Exception) -> Finding:
    """A check that raised: reported as a finding so the rest of the report still comes out."""
    return Finding(
        path,
        1,
        "GATE-CHECK-FAILED",
        f"{check} failed here ({type(error).__name__}: {error}), so this was not checked; please report it "
        "(GITOPS_TOOLKIT_DEBUG=1 is no help here: the run went on)",
    )


def contained(path: str, check: str, run: Callable[..., Iterable[Finding]], *arguments: Any) -> list[Finding]:
    """The findings of `run(*arguments)`, or one GATE-CHECK-FAILED finding when it raises."""
    try:
        return list(run(*arguments))
    except Exception as error:  # one failing check must not end the gate
        return [check_failed(path, check, error)]
