"""`invoke diff --base REF [--head REF]`: render both sides as the gate does and report what changes in the
cluster. Exit 0 (or, with --exit-code, 0 no differences and 1 differences), 2 when it could not run."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from gitops_toolkit.core.atomic_files import write_atomic
from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.delivery.diff.compare import compare
from gitops_toolkit.delivery.diff.note import merge_request_from_environment, post_note
from gitops_toolkit.delivery.diff.report import as_json, as_markdown, as_text, capacity_markdown
from gitops_toolkit.delivery.diff.sides import WORKING_TREE, render_side

FORMATS = {"text": as_text, "markdown": as_markdown, "json": as_json}


def diff_command(
    root: Path, base: str, head: str, output_format: str, exit_code: bool, output: Path | None, note: bool = False
) -> int:
    if output_format not in FORMATS:
        print(f"--format {output_format}: choose one of {', '.join(FORMATS)}", file=sys.stderr)
        return 2
    try:
        merge_request = merge_request_from_environment() if note else None
        with ThreadPoolExecutor(max_workers=2) as pool:  # both sides at once: kubectl and Helm run outside the GIL
            sides = list(pool.map(lambda ref: render_side(root, ref), (base, head or WORKING_TREE)))
    except ToolError as error:
        print(f"diff: {error}", file=sys.stderr)
        return 2
    changes = compare(*sides)
    capacity = capacity_markdown(sides[0].capacity, sides[1].capacity)
    report = FORMATS[output_format](changes, sides[0].label, sides[1].label)
    report += capacity if output_format == "markdown" else ""
    if output:
        write_atomic(output, report)
    else:
        sys.stdout.write(report)
    if merge_request is not None:
        try:
            body = as_markdown(changes, sides[0].label, sides[1].label) + capacity
            print(post_note(merge_request, body), file=sys.stderr)
        except ToolError as error:
            print(f"diff: {error}", file=sys.stderr)
            return 2
    return 1 if exit_code and changes else 0
