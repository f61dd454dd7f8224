"""Suppressions: an annotation `gate.gitops-toolkit.io/suppress-<RULE-ID>: "<reason>"` on a resource
silences that one rule for that resource only. Every suppression is listed in the report; one without
a reason, or naming a rule that cannot be suppressed, is itself a finding."""

from __future__ import annotations

from collections.abc import Iterable

from gitops_toolkit.core.findings import Finding, ResourceRef
from gitops_toolkit.core.rule_catalog import SUPPRESSIBLE
from gitops_toolkit.gate.rules.index import ResourceIndex

PREFIX = "gate.gitops-toolkit.io/suppress-"


def apply_suppressions(findings: Iterable[Finding], index: ResourceIndex) -> list[Finding]:
    """The findings minus the suppressed ones, plus one finding per suppression."""
    silenced: set[tuple[ResourceRef, str]] = set()
    notes: list[Finding] = []
    for resource in index.resources:
        for key, reason in (resource.metadata.get("annotations") or {}).items():
            if not str(key).startswith(PREFIX):
                continue
            rule = str(key)[len(PREFIX) :]
            where = ("metadata", "annotations", str(key))
            if rule not in SUPPRESSIBLE:
                notes.append(
                    resource.finding(
                        "GATE-SUPPRESSION-INVALID",
                        f"`{rule}` is not a rule that can be suppressed (see docs/rules.md); "
                        "fix or remove the annotation",
                        where,
                    )
                )
            elif not str(reason or "").strip():
                notes.append(
                    resource.finding(
                        "GATE-SUPPRESSION-NO-REASON",
                        f"suppression of {rule} gives no reason; write why the rule does not apply here",
                        where,
                    )
                )
            else:
                silenced.add((resource.ref, rule))
                notes.append(resource.finding("GATE-SUPPRESSED", f"{rule} suppressed: {reason}", where))
    kept = [finding for finding in findings if (finding.resource, finding.rule) not in silenced]
    return kept + notes
