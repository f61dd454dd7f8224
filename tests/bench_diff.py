"""`nox -s bench`, the diff's part: `invoke diff --base REF` (both sides rendered as the gate renders, charts
included, then paired and compared, the base checked out in a temporary worktree) against `kubectl kustomize`
alone on every entry point of both refs, in parallel as the gate renders them, with the base already checked
out and its entry points known. Medians of a few warm rounds; it prints the ratio (target: within 2x) and
asserts nothing."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from gitops_toolkit.delivery.diff.compare import compare
from gitops_toolkit.delivery.diff.sides import WORKING_TREE, checked_out, render_side
from gitops_toolkit.render.kustomize import RenderLimits
from gitops_toolkit.render.repository import open_repository, render_repository
from gitops_toolkit.tools.kustomize import kustomize_build

REPOSITORY = Path(__file__).resolve().parents[1]
TARGET = 2.0


def _entries(tree: Path) -> list[Path]:
    return render_repository(open_repository(tree)).entries


def _kustomize_both(entries: list[Path], limits: RenderLimits) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=limits.jobs) as pool:
        list(pool.map(lambda entry: kustomize_build(entry, limits.timeout_seconds, limits.memory_bytes), entries))
    return time.perf_counter() - started


def _diff(root: Path, base: str) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        compare(*pool.map(lambda ref: render_side(root, ref), (base, WORKING_TREE)))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD~1")
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    limits = RenderLimits()
    _diff(REPOSITORY, arguments.base)  # warm: imports and the chart render cache
    kustomize, diff = [], []
    # The baseline gets the base checked out and its entry points found for free: only kustomize is timed.
    with checked_out(REPOSITORY, arguments.base) as tree:
        entries = [*_entries(tree), *_entries(REPOSITORY)]
        for _ in range(arguments.rounds):
            kustomize.append(_kustomize_both(entries, limits))
            diff.append(_diff(REPOSITORY, arguments.base))
    rendered, compared = statistics.median(kustomize), statistics.median(diff)
    print(f"kubectl kustomize of both refs: {rendered:.2f} s; invoke diff --base {arguments.base}: {compared:.2f} s")
    print(f"diff / render: {compared / rendered:.2f}x (target <= {TARGET}x)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
