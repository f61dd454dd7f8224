"""Suppressions: an annotation `gate.gitops-toolkit.io/suppress-<RULE-ID>: "<reason>"` on a resource
silences that one rule for that resource only. On an Application it also reaches what the Application deploys
(the one way to reach a chart's output, which carries no annotation of ours): the resources its value names
first (`"ClusterRole/x ClusterRoleBinding/x: reason"`), or, naming none, all of them. Every suppression is
listed in the report; one without a reason, or naming a rule that cannot be suppressed, is itself a finding."""

from __future__ import annotations

import re
from collections.abc import Iterable

from gitops_toolkit.core.findings import Finding, ResourceRef
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.core.rule_catalog import SUPPRESSIBLE
from gitops_toolkit.gate.rules.index import ResourceIndex

PREFIX = "gate.gitops-toolkit.io/suppress-"
# "Kind/name Kind/name: reason" (names may hold a colon, as metallb:speaker does; the list ends at ": ").
_TARGETED = re.compile(r"^((?:[A-Z][A-Za-z]*/[^\s,]+[\s,]*)+?):\s+(\S.*)$", re.DOTALL)

_Targets = set[tuple[str, str]] | None  # (kind, name) an Application's suppression reaches; None: everything


def _invalid(resource: Resource, rule: str, reason: str) -> Finding | None:
    where = ("metadata", "annotations", PREFIX + rule)
    if rule not in SUPPRESSIBLE:
        message = f"`{rule}` is not a rule that can be suppressed (see docs/rules.md); fix or remove the annotation"
        return resource.finding("GATE-SUPPRESSION-INVALID", message, where)
    if not reason.strip():
        message = f"suppression of {rule} gives no reason; write why the rule does not apply here"
        return resource.finding("GATE-SUPPRESSION-NO-REASON", message, where)
    return None


def _reach(reason: str) -> _Targets:
    targeted = _TARGETED.match(reason.strip())
    if targeted is None:
        return None
    items = (item.partition("/") for item in re.split(r"[\s,]+", targeted.group(1).strip()))
    return {(kind, name) for kind, _, name in items}


def apply_suppressions(findings: Iterable[Finding], index: ResourceIndex) -> list[Finding]:
    """The findings minus the suppressed ones, plus one finding per suppression."""
    silenced: set[tuple[ResourceRef, str]] = set()
    by_application: dict[str, list[tuple[str, _Targets]]] = {}  # Application -> (rule, what it reaches)
    notes: list[Finding] = []
    for resource in index.resources:
        for key, value in (resource.metadata.get("annotations") or {}).items():
            if not str(key).startswith(PREFIX):
                continue
            rule, reason = str(key)[len(PREFIX) :], str(value or "")
            invalid = _invalid(resource, rule, reason)
            if invalid is not None:
                notes.append(invalid)
                continue
            silenced.add((resource.ref, rule))
            if resource.kind == "Application" and resource.api_group == "argoproj.io":
                by_application.setdefault(str(resource.metadata.get("name", "")), []).append((rule, _reach(reason)))
            notes.append(
                resource.finding("GATE-SUPPRESSED", f"{rule} suppressed: {reason}", ("metadata", "annotations", key))
            )
    for resource in index.resources if by_application else ():
        for application in index.repository.applications_of(resource.entry):
            for rule, targets in by_application.get(application, ()):
                if targets is None or (resource.kind, str(resource.metadata.get("name", ""))) in targets:
                    silenced.add((resource.ref, rule))
    kept = [finding for finding in findings if (finding.resource, finding.rule) not in silenced]
    return kept + notes
