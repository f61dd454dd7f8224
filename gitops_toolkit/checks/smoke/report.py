"""Check results as text (one line each, the fix under a failure), JSON, or JUnit XML (one test case per
check, so a CI job shows them as tests). Shared by `invoke smoke` and `invoke drill`."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from xml.etree import ElementTree

from gitops_toolkit.checks.smoke.result import FAIL, CheckResult


def as_text(suite: str, results: Sequence[CheckResult], evidence: str) -> str:
    lines = []
    for result in results:
        lines.append(f"{result.status.upper():4}  {result.id}  ({result.seconds:g} s)  {result.detail}")
        if result.status == FAIL:
            lines.append(f"      fix: {result.fix}")
    failed = sum(result.status == FAIL for result in results)
    lines.append(f"{suite}: {len(results) - failed} passed, {failed} failed")
    if evidence:
        lines.append(f"diagnostics: {evidence}")
    return "\n".join(lines) + "\n"


def as_json(suite: str, results: Sequence[CheckResult], evidence: str) -> str:
    failed = sum(result.status == FAIL for result in results)
    document = {
        "suite": suite,
        "passed": len(results) - failed,
        "failed": failed,
        "checks": [asdict(result) for result in results],
        "diagnostics": evidence or None,
    }
    return json.dumps(document, indent=2) + "\n"


def as_junit(suite: str, results: Sequence[CheckResult], evidence: str) -> str:
    failures = [result for result in results if result.status == FAIL]
    element = ElementTree.Element(
        "testsuite",
        name=suite,
        tests=str(len(results)),
        failures=str(len(failures)),
        time=f"{sum(result.seconds for result in results):.3f}",
    )
    for result in results:
        case = ElementTree.SubElement(
            element, "testcase", classname=suite, name=result.id, time=f"{result.seconds:.3f}"
        )
        if result.status == FAIL:
            failure = ElementTree.SubElement(case, "failure", message=result.detail, type=result.id)
            failure.text = f"{result.detail}\nfix: {result.fix}" + (f"\ndiagnostics: {evidence}" if evidence else "")
    suites = ElementTree.Element("testsuites")
    suites.append(element)
    ElementTree.indent(suites)
    return str(ElementTree.tostring(suites, encoding="unicode", xml_declaration=True)) + "\n"


FORMATS: dict[str, Callable[[str, Sequence[CheckResult], str], str]] = {
    "text": as_text,
    "json": as_json,
    "junit": as_junit,
}
