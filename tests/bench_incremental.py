"""`nox -s bench` (issue 26's figures): what a merge request that touches one overlay costs against a full run.

On trees of N copies of the prod overlay (tests/bench_gate.build_tree, 25 and 100 copies: 26 and 101 entry
points), each figure a real `invoke validate` subprocess, as a person runs it:
- render only: `kubectl kustomize` of every entry point, in parallel as the gate renders;
- full, warm: every entry point rendered and checked (the render cache emptied; charts and schemas warm);
- full, cold: every cache empty, as on a fresh CI machine;
- one overlay changed: the render cache warm, one copy's kustomization edited;
- `--changed-since HEAD` after a one-file change to that overlay;
- on the 101-entry-point tree, four shards (`--shard I/4`) run one after another from the same state as the full
  warm run, each and in total, then `--merge-reports` in a job whose cache holds only what the shards left.
Each run's findings must equal the full run's (a shard's: be among them). With --enforce it exits 1 when a
figure misses its target.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gitops_toolkit.render.kustomize import RenderLimits, render_all
from gitops_toolkit.render.kustomize_cache import CLOSURES, RENDERS
from tests.bench_gate import APP, build_tree
from tests.git_repos import git

ONE_OVERLAY_TARGETS = {26: 0.25, 101: 0.10}  # one overlay changed, against a full warm run
SHARDS, SHARD_TARGET, SHARDS_TOTAL_TARGET = 4, 0.35, 1.2  # on the 101-entry-point tree
Figure = tuple[str, float, float | None]


def _validate(root: Path, cache: Path, *extra: str) -> tuple[float, list[dict[str, object]]]:
    command = [str(Path(sys.executable).parent / "invoke"), "validate", "--root", str(root), "--format", "json"]
    environment = dict(os.environ, XDG_CACHE_HOME=str(cache))
    started = time.perf_counter()
    completed = subprocess.run([*command, *extra], capture_output=True, text=True, env=environment, check=False)
    seconds = time.perf_counter() - started
    if completed.returncode not in (0, 1):
        raise SystemExit(f"invoke validate could not run: {completed.stderr.strip()}")
    return seconds, json.loads(completed.stdout)


def _forget_renders(cache: Path) -> None:
    for kind in (RENDERS, CLOSURES):
        shutil.rmtree(cache / "gitops-toolkit" / kind, ignore_errors=True)


def _keyed(findings: list[dict[str, object]]) -> set[str]:
    return {json.dumps(finding, sort_keys=True) for finding in findings}


def shard_figures(root: Path, cache: Path, workspace: Path, expected: list[dict[str, object]]) -> list[Figure]:
    """Four shards after the render cache is emptied (as before the full warm run), then their merge."""
    _forget_renders(cache)
    records = workspace / "shards"
    figures: list[Figure] = []
    for index in range(1, SHARDS + 1):
        seconds, found = _validate(root, cache, "--shard", f"{index}/{SHARDS}", "--shard-dir", str(records))
        if not _keyed(found) <= _keyed(expected):
            raise SystemExit(f"shard {index}/{SHARDS} reported what the full run does not")
        figures.append((f"shard {index}/{SHARDS}", seconds, SHARD_TARGET))
    total = sum(seconds for _, seconds, _ in figures)
    figures.append((f"{SHARDS} shards, one after another", total, SHARDS_TOTAL_TARGET))
    seconds, merged = _validate(root, workspace / "merge-cache", "--merge-reports", str(records))
    if _keyed(merged) != _keyed(expected):
        raise SystemExit("the merged report found otherwise than the full run")
    figures.append(("--merge-reports (cache: the shards' only)", seconds, None))
    return figures


def tree_figures(copies: int, workspace: Path) -> list[Figure]:
    """(figure, seconds, target ratio) for one tree; the ratios are printed against the full warm run."""
    root = workspace / f"tree-{copies}"
    overlays = build_tree(root, copies)
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "-m", "tree")
    cache = workspace / f"cache-{copies}"
    started = time.perf_counter()
    render_all(overlays, RenderLimits())
    render_only = time.perf_counter() - started

    cold, expected = _validate(root, cache)
    _forget_renders(cache)
    full_warm, found = _validate(root, cache)
    changed_file = root / APP / "overlays" / "prod-00" / "kustomization.yaml"
    changed_file.write_text(changed_file.read_text(encoding="utf-8") + "# changed\n", encoding="utf-8")
    one_changed, found_changed = _validate(root, cache)
    changed_file.write_text(changed_file.read_text(encoding="utf-8") + "# again\n", encoding="utf-8")
    since, found_since = _validate(root, cache, "--changed-since", "HEAD")
    for name, findings in (
        ("full warm", found),
        ("one overlay changed", found_changed),
        ("changed-since", found_since),
    ):
        if findings != expected:
            raise SystemExit(f"{copies + 1} entry points: the {name} run found otherwise than the cold one")
    figures: list[Figure] = [
        ("render only (kustomize, parallel)", render_only, None),
        ("full, warm (every entry point rendered)", full_warm, None),
        ("full, cold (every cache empty)", cold, None),
        ("one overlay changed, warm cache", one_changed, ONE_OVERLAY_TARGETS.get(copies + 1)),
        ("--changed-since HEAD, one file changed", since, ONE_OVERLAY_TARGETS.get(copies + 1)),
    ]
    return figures + (shard_figures(root, cache, workspace, expected) if copies + 1 == 101 else [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, nargs="+", default=[25, 100])
    parser.add_argument("--enforce", action="store_true", help="exit 1 when a figure misses its target")
    options = parser.parse_args()
    missed = []
    with tempfile.TemporaryDirectory(prefix="gate-bench-incremental-") as directory:
        for copies in options.copies:
            figures = tree_figures(copies, Path(directory))
            full_warm = figures[1][1]
            print(f"\n{copies + 1} entry points (findings identical in every mode):")
            for name, seconds, target in figures:
                ratio = seconds / full_warm
                verdict = ""
                if target is not None:
                    verdict = f"  (target <= {target:.2f}x: {'met' if ratio <= target else 'MISSED'})"
                    if ratio > target:
                        missed.append(f"{copies + 1} entry points, {name}")
                print(f"  {name:44s} {seconds:7.2f} s   {ratio:5.2f}x of full warm{verdict}")
    if missed and options.enforce:
        print(f"\nmissed: {'; '.join(missed)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
