"""The same trees checked by this checkout's gate and by the gate of another git ref (a commit before a
refactoring, say): `invoke validate --format json` of each, compared finding by finding. `nox -s bench --
--compare-with REF` runs it on this repository and on the bench's large tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
_SHOWN = 5


@contextmanager
def checked_out(ref: str) -> Iterator[Path]:
    """`ref` of this repository in a temporary worktree, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="gate-ref-") as directory:
        tree = Path(directory) / "tree"
        git = ["git", "-C", str(REPOSITORY), "worktree"]
        subprocess.run([*git, "add", "--quiet", "--detach", str(tree), ref], check=True)
        try:
            yield tree
        finally:
            subprocess.run([*git, "remove", "--force", str(tree)], check=False)


def _findings(code: Path, tree: Path, cache: Path) -> tuple[int, list[dict[str, Any]]]:
    """Exit code and findings of the gate whose tasks.py and package are under `code`, run on `tree`."""
    environment = dict(os.environ, PYTHONPATH=str(code), XDG_CACHE_HOME=str(cache))
    command = [sys.executable, "-m", "invoke", "--search-root", str(code), "validate", "--root", str(tree)]
    completed = subprocess.run(
        [*command, "--format", "json"], cwd=cache.parent, env=environment, capture_output=True, text=True, check=False
    )
    if completed.returncode not in (0, 1):
        raise SystemExit(f"the gate of {code} could not run on {tree}: {completed.stderr.strip()}")
    return completed.returncode, json.loads(completed.stdout)


def _key(finding: dict[str, Any]) -> str:
    return json.dumps(finding, sort_keys=True)


def same_findings(ref: str, trees: dict[str, Path]) -> bool:
    """Print, for each tree, whether REF's gate and this checkout's report the same findings and exit code."""
    same = True
    with checked_out(ref) as old, tempfile.TemporaryDirectory(prefix="gate-compare-") as workspace:
        for label, tree in trees.items():
            before = _findings(old, tree, Path(workspace) / "cache-before")
            after = _findings(REPOSITORY, tree, Path(workspace) / "cache-after")
            if before == after:
                print(f"{label}: the same {len(after[1])} findings as {ref} (exit code {after[0]})")
                continue
            same = False
            gone = sorted({_key(f) for f in before[1]} - {_key(f) for f in after[1]})
            new = sorted({_key(f) for f in after[1]} - {_key(f) for f in before[1]})
            print(f"{label}: DIFFERENT from {ref}: exit code {before[0]} then {after[0]}")
            for sign, keys in (("-", gone), ("+", new)):
                for key in keys[:_SHOWN]:
                    print(f"  {sign} {key}")
                if len(keys) > _SHOWN:
                    print(f"  {sign} … {len(keys) - _SHOWN} more")
    return same
