"""Stage 7: findings as text for people, JSON for machines, Markdown for merge requests, JUnit for
GitLab's test report, Code Quality JSON for GitLab's inline annotations on a merge request's diff."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Sequence
from xml.etree import ElementTree

from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.rule_catalog import Severity
from gitops_toolkit.gate.rules.cluster.capacity import CapacityRow, cpu_text, memory_text
from gitops_toolkit.render.kustomize_cache import NOT_RENDERED_BEFORE


def summary(findings: Sequence[Finding], entries: int, resources: int) -> str:
    counts = Counter(finding.severity for finding in findings)
    return (
        f"{counts[Severity.ERROR]} error(s), {counts[Severity.WARNING]} warning(s) "
        f"in {entries} entry point(s), {resources} resource(s)"
    )


def rendering_note(entries: int, rerendered: dict[str, str]) -> str:
    """How many entry points kustomize rendered this time, and why; the rest came from the render cache."""
    if not rerendered:
        return f"kustomize rendered none of the {entries} entry point(s): nothing they read changed"
    if set(rerendered.values()) == {NOT_RENDERED_BEFORE}:
        return f"kustomize rendered {len(rerendered)} of {entries} entry point(s): the render cache held none of them"
    shown = "; ".join(f"{entry}: {why}" for entry, why in sorted(rerendered.items())[:5])
    more = f"; and {len(rerendered) - 5} more" if len(rerendered) > 5 else ""
    return f"kustomize rendered {len(rerendered)} of {entries} entry point(s) ({shown}{more})"


def as_text(findings: Sequence[Finding]) -> str:
    lines = []
    for finding in findings:
        resource = f" [{finding.resource}]" if finding.resource.kind else ""
        lines.append(f"{finding.path}:{finding.line}: {finding.rule} {finding.severity} {finding.message}{resource}")
    return "\n".join(lines) + ("\n" if lines else "")


def as_dicts(findings: Sequence[Finding]) -> list[dict[str, object]]:
    return [
        {
            "rule": finding.rule,
            "severity": str(finding.severity),
            "path": finding.path,
            "line": finding.line,
            "kind": finding.resource.kind,
            "namespace": finding.resource.namespace,
            "name": finding.resource.name,
            "message": finding.message,
        }
        for finding in findings
    ]


def as_json(findings: Sequence[Finding]) -> str:
    return json.dumps(as_dicts(findings), indent=2) + "\n"


def as_markdown(findings: Sequence[Finding]) -> str:
    if not findings:
        return "### Validation gate\n\nNo findings.\n"
    rows = ["### Validation gate", "", "| severity | rule | where | resource | message |", "|---|---|---|---|---|"]
    for finding in findings:
        cells = [
            str(finding.severity),
            f"`{finding.rule}`",
            f"`{finding.path}:{finding.line}`",
            str(finding.resource) or "",
            finding.message,
        ]
        rows.append("| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in cells) + " |")
    return "\n".join(rows) + "\n"


def as_junit(findings: Sequence[Finding]) -> str:
    """One test case per finding (errors are failures, the rest are skipped with a note)."""
    errors = [finding for finding in findings if finding.severity is Severity.ERROR]
    suite = ElementTree.Element(
        "testsuite",
        name="validation-gate",
        tests=str(max(1, len(findings))),
        failures=str(len(errors)),
        skipped=str(len(findings) - len(errors)),
    )
    if not findings:
        ElementTree.SubElement(suite, "testcase", classname="gate", name="no findings")
    for finding in findings:
        case = ElementTree.SubElement(
            suite,
            "testcase",
            classname=finding.rule,
            name=f"{finding.path}:{finding.line} {finding.resource}".strip(),
            file=finding.path,
            line=str(finding.line),
        )
        child = "failure" if finding.severity is Severity.ERROR else "skipped"
        element = ElementTree.SubElement(case, child, message=finding.message, type=finding.rule)
        element.text = finding.message
    suites = ElementTree.Element("testsuites")
    suites.append(suite)
    ElementTree.indent(suites)
    return str(ElementTree.tostring(suites, encoding="unicode", xml_declaration=True)) + "\n"


_CODE_QUALITY_SEVERITY = {Severity.ERROR: "critical", Severity.WARNING: "minor", Severity.INFO: "info"}


def as_codequality(findings: Sequence[Finding]) -> str:
    """GitLab Code Quality: each finding shown on its line of the merge request's diff. GitLab shows one issue per
    fingerprint, and tells new findings from fixed ones by it: a fingerprint stays the same while the finding
    does (not its line: an edit above it moves it), and two alike findings in one file (a second leaked
    credential) get two, by their order in the file."""

    def alike(finding: Finding) -> str:
        return "\0".join((finding.rule, finding.path, str(finding.resource), finding.message))

    place: dict[int, int] = {}  # finding -> its place among the alike ones, in the order of their lines
    counted: dict[str, int] = {}
    for finding in sorted(findings, key=lambda f: f.line):
        counted[alike(finding)] = place[id(finding)] = counted.get(alike(finding), 0) + 1
    issues = []
    for finding in findings:
        identity = f"{alike(finding)}\0{place[id(finding)]}"
        issues.append(
            {
                "description": f"{finding.rule}: {finding.message}",
                "check_name": finding.rule,
                "fingerprint": hashlib.sha256(identity.encode()).hexdigest(),
                "severity": _CODE_QUALITY_SEVERITY[finding.severity],
                "location": {"path": finding.path, "lines": {"begin": finding.line}},
            }
        )
    return json.dumps(issues, indent=2) + "\n"


def capacity_markdown(rows: Sequence[CapacityRow]) -> str:
    """What each Application requests at its autoscalers' minimum and maximum against what the nodes allocate."""
    lines = [
        "",
        "### Capacity",
        "",
        "| Application | pods at min | CPU at min | memory at min | CPU at max | memory at max | Pending at min |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        cells = [cpu_text(row.cpu_at_min), memory_text(row.memory_at_min), cpu_text(row.cpu_at_max)]
        cells.append(memory_text(row.memory_at_max))
        name, pods = (f"**{row.name}**", "") if row.name == "allocatable" else (row.name, str(row.pods))
        lines.append(f"| {name} | {pods} | {' | '.join(cells)} | {row.pending or ''} |")
    return "\n".join(lines) + "\n"


FORMATTERS: dict[str, Callable[[Sequence[Finding]], str]] = {
    "text": as_text,
    "json": as_json,
    "markdown": as_markdown,
    "junit": as_junit,
    "codequality": as_codequality,
}
