"""The bootstrap's report, as text for a person or JSON for a machine: preflight findings, then every change
per host (with the diff of each file), and, after an apply, what was done, what failed and why."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TextIO

from gitops_toolkit.hosts.bootstrap.node_steps import Change
from gitops_toolkit.hosts.preflight import HostFinding

DONE, FAILED, NOT_RUN, PLANNED = "done", "failed", "not run", "planned"


@dataclass
class Report:
    mode: str  # "plan" or "apply"
    findings: list[HostFinding] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    status: dict[int, str] = field(default_factory=dict)  # index in changes: DONE, FAILED or NOT_RUN
    errors: list[str] = field(default_factory=list)  # one line each: host (address): what failed
    addresses: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def status_of(self, index: int) -> str:
        return self.status.get(index, PLANNED if self.mode == "plan" else NOT_RUN)

    def exit_code(self) -> int:
        return 1 if self.findings or self.errors else 0


def _summary(report: Report) -> str:
    hosts = len({change.host for change in report.changes})
    if report.findings:
        return f"preflight: {len(report.findings)} finding(s) block the bootstrap; nothing was changed"
    if not report.changes:
        return "no changes: every host and the cluster are already as the inventory wants"
    if report.mode == "plan":
        return f"plan: {len(report.changes)} change(s) on {hosts} host(s); nothing was changed (--plan)"
    done = sum(1 for index in range(len(report.changes)) if report.status_of(index) == DONE)
    if report.errors:
        return (
            f"applied {done} of {len(report.changes)} change(s); run `invoke bootstrap` again once fixed: "
            "it resumes where it stopped"
        )
    return f"applied {done} change(s) on {hosts} host(s)"


def write_text(report: Report, stream: TextIO) -> None:
    for finding in report.findings:
        print(finding.line(), file=stream)
    current = ("", "")
    for index, change in enumerate(report.changes):
        if (change.host, change.phase) != current:
            current = (change.host, change.phase)
            print(f"{change.host} ({report.addresses.get(change.host, '')}), {change.phase}:", file=stream)
        mark = {DONE: "done", FAILED: "FAILED", NOT_RUN: "not run"}.get(report.status_of(index), "+")
        print(f"  {mark} {change.label}", file=stream)
        if report.mode == "plan" and change.diff:
            for line in change.diff.splitlines():
                print(f"      {line}", file=stream)
    for error in report.errors:
        print(error, file=stream)
    for note in report.notes:
        print(note, file=stream)
    print(_summary(report), file=stream)


def write_json(report: Report, stream: TextIO) -> None:
    document = {
        "mode": report.mode,
        "findings": [
            {"host": f.host, "address": f.address, "rule": f.rule, "severity": str(f.severity), "message": f.message}
            for f in report.findings
        ],
        "changes": [
            {
                "host": change.host,
                "phase": change.phase,
                "kind": change.kind,
                "summary": change.summary,
                "diff": change.diff,
                "status": report.status_of(index),
            }
            for index, change in enumerate(report.changes)
        ],
        "errors": report.errors,
        "notes": report.notes,
        "summary": _summary(report),
        "exit_code": report.exit_code(),
    }
    json.dump(document, stream, indent=2)
    stream.write("\n")
