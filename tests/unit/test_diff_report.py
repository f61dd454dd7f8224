"""The diff's Markdown note: a summary per Application, one collapsible section per resource, and a visible
notice when the note would be too long for GitLab."""

from __future__ import annotations

from gitops_toolkit.delivery.diff.compare import ADDED, CHANGED, Key, ResourceChange
from gitops_toolkit.delivery.diff.report import MARKER, as_markdown, capacity_markdown
from gitops_toolkit.gate.rules.cluster.capacity import CapacityRow

CHANGES = [
    ResourceChange(
        CHANGED, Key("apps", "Deployment", "shop", f"service-{n}"), "shop-prod", "-replicas: 2\n+replicas: 3\n"
    )
    for n in range(50)
] + [ResourceChange(ADDED, Key("", "Service", "shop", "new"), "shop-dev", "+kind: Service\n", ["a note"])]


def test_the_note_starts_with_its_marker_and_a_table_per_application() -> None:
    note = as_markdown(CHANGES, "main", "feature")
    assert note.startswith(MARKER + "\n")
    assert "| shop-dev | 1 | 0 | 0 |" in note and "| shop-prod | 0 | 50 | 0 |" in note
    assert note.count("<details>") == 51 and "a note" in note


def test_a_note_too_long_for_gitlab_is_cut_with_a_notice() -> None:
    note = as_markdown(CHANGES, "main", "feature", limit=3000)
    assert len(note) < 3300
    shown = note.count("<details>")
    assert 0 < shown < 51 and f"**Truncated:** {51 - shown} more resource(s) not shown" in note


def test_the_requests_table_shows_only_applications_whose_requests_change() -> None:
    def row(name: str, cpu: int, pending: int = 0) -> CapacityRow:
        return CapacityRow(name, 2, cpu, 2**30, cpu * 2, 2**31, pending)

    base = [row("shop", 500), row("platform", 300), row("allocatable", 7600)]
    head = [row("shop", 700, pending=1), row("platform", 300), row("allocatable", 7600)]
    table = capacity_markdown(base, head)
    assert [line for line in table.splitlines() if line.startswith("| shop") or line.startswith("| platform")] == [
        "| shop | 0.50 CPU → 0.70 CPU | 1.0 GiB → 1.0 GiB | 1.00 CPU → 1.40 CPU | 2.0 GiB → 2.0 GiB | 0 → 1 |"
    ]
    assert capacity_markdown(base, base) == ""
    assert capacity_markdown([], head) == ""  # the base names no inventory it can read: nothing to compare
