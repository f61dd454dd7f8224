"""Report formats: what people, machines, merge requests and GitLab's test report read."""

from __future__ import annotations

import json
from xml.etree import ElementTree

from gitops_toolkit.core.findings import Finding, ResourceRef
from gitops_toolkit.gate.report.formats import as_codequality, as_json, as_junit, as_markdown, as_text

FINDINGS = [
    Finding(
        "gitops-repo/app/web.yaml",
        12,
        "SCHEMA-INVALID",
        "`spec.replicas` must be integer, not string 'two'",
        ResourceRef("Deployment", "shop", "web"),
    ),
    Finding(
        "gitops-repo/app/route.yaml",
        1,
        "SCHEMA-NO-SCHEMA",
        "no schema | for HTTPRoute",
        ResourceRef("HTTPRoute", "shop", "web"),
    ),
]


def test_text_lines_start_with_path_line_rule_severity() -> None:
    lines = as_text(FINDINGS).splitlines()
    assert lines[0] == (
        "gitops-repo/app/web.yaml:12: SCHEMA-INVALID error `spec.replicas` must be integer, "
        "not string 'two' [Deployment shop/web]"
    )
    assert lines[1].startswith("gitops-repo/app/route.yaml:1: SCHEMA-NO-SCHEMA warning ")


def test_json_has_every_field() -> None:
    [first, _] = json.loads(as_json(FINDINGS))
    assert first == {
        "rule": "SCHEMA-INVALID",
        "severity": "error",
        "path": "gitops-repo/app/web.yaml",
        "line": 12,
        "kind": "Deployment",
        "namespace": "shop",
        "name": "web",
        "message": "`spec.replicas` must be integer, not string 'two'",
    }
    assert json.loads(as_json([])) == []


def test_markdown_is_a_table_with_escaped_cells() -> None:
    markdown = as_markdown(FINDINGS)
    assert "| error | `SCHEMA-INVALID` | `gitops-repo/app/web.yaml:12` | Deployment shop/web |" in markdown
    assert "no schema \\| for HTTPRoute" in markdown
    assert "No findings." in as_markdown([])


def test_junit_counts_errors_as_failures() -> None:
    suite = ElementTree.fromstring(as_junit(FINDINGS)).find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("2", "1", "1")
    cases = suite.findall("testcase")
    assert cases[0].find("failure") is not None
    assert cases[1].find("skipped") is not None
    empty = ElementTree.fromstring(as_junit([])).find("testsuite")
    assert empty is not None and empty.get("failures") == "0"


def test_code_quality_points_at_each_line_with_a_stable_fingerprint() -> None:
    issues = json.loads(as_codequality(FINDINGS))
    assert [(i["check_name"], i["severity"], i["location"]) for i in issues] == [
        ("SCHEMA-INVALID", "critical", {"path": "gitops-repo/app/web.yaml", "lines": {"begin": 12}}),
        ("SCHEMA-NO-SCHEMA", "minor", {"path": "gitops-repo/app/route.yaml", "lines": {"begin": 1}}),
    ]
    assert len({i["fingerprint"] for i in issues}) == 2
    moved = [Finding(f.path, f.line + 3, f.rule, f.message, f.resource) for f in FINDINGS]
    assert [i["fingerprint"] for i in json.loads(as_codequality(moved))] == [i["fingerprint"] for i in issues]
    assert json.loads(as_codequality([])) == []


def test_two_alike_findings_in_one_file_get_two_fingerprints() -> None:
    """GitLab shows one issue per fingerprint: a second leaked credential must not hide behind the first."""
    leak = "Slack webhook URL committed to git"
    twice = [Finding("values.yaml", 4, "SECRET-IN-FILE", leak), Finding("values.yaml", 9, "SECRET-IN-FILE", leak)]
    fingerprints = [i["fingerprint"] for i in json.loads(as_codequality(twice))]
    assert len(set(fingerprints)) == 2
    moved = [Finding(f.path, f.line + 2, f.rule, f.message) for f in twice]
    assert [i["fingerprint"] for i in json.loads(as_codequality(moved))] == fingerprints
