"""The chart archives the repository carries (gitops-repo/charts/), checked against charts.lock.yaml before
the gate renders them: a verified archive is pinned upstream data; one that differs, is missing, or is not in
the lock is a finding, and the Applications that pin it are not rendered."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.lock_files import LockError, sha256_of
from gitops_toolkit.render.charts.lock import ARCHIVE_DIRECTORY, LOCK_FILE, LockedChart, read_lock


@dataclass
class VendoredCharts:
    lock: list[LockedChart] = field(default_factory=list)
    verified: list[LockedChart] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def locked(self, repository: str, name: str, version: str) -> LockedChart | None:
        return next((entry for entry in self.lock if entry.pins(repository, name, version)), None)


def verify_vendored_charts(root: Path) -> VendoredCharts:
    result = VendoredCharts()
    try:
        result.lock = read_lock(root)
    except LockError as error:
        message = f"{error.message}; fix the lock"
        result.findings.append(Finding(str(LOCK_FILE), error.line, "CHART-LOCK-INVALID", message))
    for entry in result.lock:
        path = root / entry.path
        if not path.is_file() or path.is_symlink():
            message = f"{entry.path} is missing, so this chart is not rendered or checked; run `invoke charts.fetch`"
            result.findings.append(Finding(str(LOCK_FILE), entry.line, "CHART-LOCK-MISMATCH", message))
        elif (digest := sha256_of(path)) != entry.sha256:
            result.findings.append(
                Finding(
                    str(entry.path),
                    1,
                    "CHART-LOCK-MISMATCH",
                    f"sha256 is {digest[:12]}…, {LOCK_FILE}:{entry.line} pins {entry.sha256[:12]}…; restore the "
                    "archive with `invoke charts.fetch` (or re-pin a new one with `--repin`)",
                )
            )
        else:
            result.verified.append(entry)
    directory = root / ARCHIVE_DIRECTORY
    known = {entry.path.name for entry in result.lock}
    for path in sorted(directory.iterdir()) if directory.is_dir() else ():
        if path.name not in known:
            result.findings.append(
                Finding(
                    str(path.relative_to(root)),
                    1,
                    "CHART-NOT-LOCKED",
                    f"not listed in {LOCK_FILE}, so nothing renders it; pin it in the lock "
                    "(`invoke charts.fetch` does for every chart an Application names) or delete it",
                )
            )
    return result
