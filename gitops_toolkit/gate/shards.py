"""Sharding for monorepos: `invoke validate --shard I/N` renders and checks a stable share of the entry points, and
`invoke validate --merge-reports DIR` makes the one report of the whole repository from the shards' records.

A shard reports only what its own entry points show without the rest of the repository: their guard, render and
parse findings, their built-in resources against the Kubernetes schemas, and its share of the secret scan. What
needs the whole picture (custom resources, whose CRD may be rendered elsewhere; every rule, since Applications,
suppressions and references reach across entry points) runs once, in the merge. Each shard leaves in DIR its
findings and the cache entries it filled (renders, schema results, scanned files); the merge imports them and
runs the gate over the whole repository, every render already made, so its report is a full run's."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_toolkit.core.atomic_files import write_atomic
from gitops_toolkit.core.cache_directory import export_kinds, import_directory
from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.core.findings import Finding
from gitops_toolkit.gate.report.formats import as_dicts
from gitops_toolkit.gate.rules.line_detectors import SCAN_RESULTS
from gitops_toolkit.gate.schema.result_cache import SCHEMA_RESULTS
from gitops_toolkit.render.kustomize_cache import CLOSURES, RENDERS

_FORMAT = 1
_SHARD = re.compile(r"^([1-9][0-9]*)/([1-9][0-9]*)$")
# The cache kinds a shard fills for the merge (charts and CRD schemas are shared by all shards alike).
CARRIED_KINDS = (RENDERS, CLOSURES, SCHEMA_RESULTS, SCAN_RESULTS)


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based, as GitLab's CI_NODE_INDEX
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    @property
    def stem(self) -> str:
        return f"shard-{self.index}-of-{self.count}"

    def takes(self, position: int) -> bool:
        return position % self.count == self.index - 1


def parse_shard(text: str) -> Shard:
    matched = _SHARD.match(text.strip())
    if matched is None or int(matched.group(1)) > int(matched.group(2)):
        raise ToolError(
            f"--shard {text}: write I/N with 1 <= I <= N, e.g. 2/4 (in GitLab $CI_NODE_INDEX/$CI_NODE_TOTAL)"
        )
    return Shard(int(matched.group(1)), int(matched.group(2)))


def share(names: Sequence[str], shard: Shard) -> set[str]:
    """The shard's names: every N-th of them in sorted order, so the shares differ by one at most and a name
    stays in its shard while nothing is added before it."""
    return {name for position, name in enumerate(sorted(names)) if shard.takes(position)}


def shard_note(entries: int) -> str:
    return (
        f"{entries} entry point(s) rendered, their built-in resources checked; custom resources and the rules "
        "run once, in `invoke validate --merge-reports`"
    )


def write_record(directory: Path, shard: Shard, entries: list[str], findings: Sequence[Finding], commit: str) -> None:
    """The shard's findings and the cache entries it filled, for the merge."""
    carried = directory / f"{shard.stem}.cache"
    record = {"format": _FORMAT, "shard": str(shard), "commit": commit, "entries": entries}
    try:
        directory.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(carried, ignore_errors=True)
        export_kinds(carried, CARRIED_KINDS)
        write_atomic(directory / f"{shard.stem}.json", json.dumps({**record, "findings": as_dicts(findings)}))
    except OSError as error:
        raise ToolError(
            f"--shard-dir {directory}: cannot write the shard's record ({error.strerror}); give a "
            "folder this job can write"
        ) from None


@dataclass(frozen=True)
class ShardRecord:
    shard: Shard
    commit: str
    entries: list[str]
    findings: list[dict[str, Any]]
    file: Path


def _read(path: Path) -> ShardRecord:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ToolError(f"{path}: not a shard record ({error}); rerun that shard") from None
    if not isinstance(data, dict) or data.get("format") != _FORMAT or not isinstance(data.get("findings"), list):
        raise ToolError(f"{path}: not a shard record of this version of the gate; rerun that shard")
    return ShardRecord(
        parse_shard(str(data.get("shard", ""))),
        str(data.get("commit", "")),
        [str(entry) for entry in data.get("entries") or []],
        list(data["findings"]),
        path,
    )


def read_records(directory: Path) -> list[ShardRecord]:
    """Every shard's record in `directory`: one per shard of one N, none missing."""
    if not directory.is_dir():
        raise ToolError(f"--merge-reports {directory}: no such directory; give the folder the shards wrote")
    records = sorted((_read(path) for path in directory.glob("shard-*-of-*.json")), key=lambda r: r.shard.index)
    if not records:
        raise ToolError(f"--merge-reports {directory}: no shard-I-of-N.json in it; run `invoke validate --shard I/N`")
    count = records[0].shard.count
    if any(record.shard.count != count for record in records):
        raise ToolError(f"--merge-reports {directory}: shards of different counts ({records[0].file.name} and others)")
    found = [record.shard.index for record in records]
    missing = sorted(set(range(1, count + 1)) - set(found))
    if missing or len(found) != count:
        raise ToolError(
            f"--merge-reports {directory}: shard(s) {', '.join(f'{i}/{count}' for i in missing) or 'twice'} "
            "missing or repeated; every shard's record is needed"
        )
    return records


def import_caches(records: list[ShardRecord]) -> None:
    for record in records:
        carried = record.file.with_suffix(".cache")
        if carried.is_dir():
            import_directory(carried)


def stale_note(records: list[ShardRecord], merged: Sequence[Finding], commit: str) -> str:
    """A warning when a shard checked another commit, or reported what the whole run does not."""
    notes = [f"shard {r.shard} checked {r.commit[:12]}, the merge {commit[:12]}" for r in records if r.commit != commit]
    known = {json.dumps(found, sort_keys=True) for found in as_dicts(merged)}
    for record in records:
        extra = [found for found in record.findings if json.dumps(found, sort_keys=True) not in known]
        if extra:
            notes.append(f"shard {record.shard} reported {len(extra)} finding(s) the merged run does not")
    return f"merge-reports: {'; '.join(notes)}: rerun the shards on this commit" if notes else ""
