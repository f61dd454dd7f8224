"""A diff as text for a terminal, Markdown for a merge-request note (a summary table per Application, then one
collapsible section per resource, cut to fit GitLab's note limit with a visible notice) or JSON for machines."""

from __future__ import annotations

import json
from collections import Counter

from gitops_toolkit.delivery.diff.compare import ADDED, CHANGED, REMOVED, ResourceChange
from gitops_toolkit.gate.rules.cluster.capacity import CapacityRow, cpu_text, memory_text

# GitLab refuses notes over 1,000,000 characters; leave room for the table and the notice.
NOTE_LIMIT = 900_000
MARKER = "<!-- invoke diff -->"  # how the CI job finds its own note to update in place
_SIGN = {ADDED: "+", REMOVED: "-", CHANGED: "~"}


def as_text(changes: list[ResourceChange], base: str, head: str) -> str:
    if not changes:
        return f"no differences between {base} and {head}\n"
    out = []
    for change in changes:
        notes = "".join(f"\n  note: {note}" for note in change.notes)
        out.append(f"{_SIGN[change.change]} {change.key} ({change.source}){notes}\n{change.diff}")
    counts = Counter(change.change for change in changes)
    out.append(f"{counts[ADDED]} added, {counts[CHANGED]} changed, {counts[REMOVED]} removed ({base} -> {head})\n")
    return "\n".join(out)


def as_json(changes: list[ResourceChange], base: str, head: str) -> str:
    document = {
        "base": base,
        "head": head,
        "changes": [
            {
                "change": c.change,
                "group": c.key.group,
                "kind": c.key.kind,
                "namespace": c.key.namespace,
                "name": c.key.name,
                "source": c.source,
                "notes": c.notes,
                "diff": c.diff,
            }
            for c in changes
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def as_markdown(changes: list[ResourceChange], base: str, head: str, limit: int = NOTE_LIMIT) -> str:
    lines = [MARKER, f"### What this change does to the cluster ({base} → {head})", ""]
    if not changes:
        return "\n".join([*lines, "No differences: nothing Argo CD deploys changes.", ""])
    per_source: dict[str, Counter[str]] = {}
    for change in changes:
        per_source.setdefault(change.source, Counter())[change.change] += 1
    lines += ["| Application | added | changed | removed |", "|---|---:|---:|---:|"]
    for source, counts in sorted(per_source.items()):
        lines.append(f"| {source.replace('|', '/')} | {counts[ADDED]} | {counts[CHANGED]} | {counts[REMOVED]} |")
    lines.append("")
    text = "\n".join(lines)
    for shown, change in enumerate(changes):
        notes = "".join(f"<br>{note}" for note in change.notes)
        section = (
            f"<details><summary><code>{_SIGN[change.change]} {change.key}</code> ({change.source}){notes}</summary>\n\n"
            f"```diff\n{change.diff.replace('```', '` ` `')}```\n</details>\n"
        )
        if len(text) + len(section) > limit:
            text += f"\n**Truncated:** {len(changes) - shown} more resource(s) not shown; run `invoke diff` locally.\n"
            break
        text += section
    return text


def capacity_markdown(base: list[CapacityRow], head: list[CapacityRow]) -> str:
    """What the change adds to the pods' requests, per Application whose requests change, against what the nodes
    allocate ("" when nothing changes, or a side names no inventory it can read: nothing to compare)."""
    if not base or not head:
        return ""
    before, after = {row.name: row for row in base}, {row.name: row for row in head}
    empty = CapacityRow("", 0, 0, 0, 0, 0, 0)
    changed = [
        name
        for name in [*after, *(name for name in before if name not in after)]
        if _requests(before.get(name, empty)) != _requests(after.get(name, empty))
    ]
    if not changed:
        return ""
    lines = [
        "",
        "#### Requests (base → head)",
        "",
        "| Application | CPU at min | memory at min | CPU at max | memory at max | Pending at min |",
        "|---|---|---|---|---|---|",
    ]
    for name in changed:
        old, new = before.get(name, empty), after.get(name, empty)
        cells = [
            f"{text(getattr(old, field))} → {text(getattr(new, field))}"
            for field, text in (
                ("cpu_at_min", cpu_text),
                ("memory_at_min", memory_text),
                ("cpu_at_max", cpu_text),
                ("memory_at_max", memory_text),
            )
        ]
        lines.append(f"| {name} | {' | '.join(cells)} | {old.pending} → {new.pending} |")
    return "\n".join(lines) + "\n"


def _requests(row: CapacityRow) -> tuple[int, ...]:
    return (row.cpu_at_min, row.memory_at_min, row.cpu_at_max, row.memory_at_max, row.pending)
