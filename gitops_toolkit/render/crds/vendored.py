"""The CRDs the repository carries (gitops-repo/crds/), checked against the lock's sha256 before the gate
trusts them: a verified file is pinned upstream data (not guarded, linted or scanned for secrets); a file that
differs, is missing, or is not in the lock is a finding."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.lock_files import LockError, sha256_of
from gitops_toolkit.render.crds.lock import LOCK_FILE, VENDORED_DIRECTORY, LockedCrd, read_lock


@dataclass
class VendoredCrds:
    lock: list[LockedCrd] = field(default_factory=list)
    verified: dict[Path, LockedCrd] = field(default_factory=dict)  # resolved path -> its lock entry
    findings: list[Finding] = field(default_factory=list)


def verify_vendored_crds(root: Path) -> VendoredCrds:
    result = VendoredCrds()
    try:
        lock = read_lock(root)
    except LockError as error:
        result.findings.append(
            Finding(str(LOCK_FILE), error.line, "CRD-LOCK-INVALID", f"{error.message}; fix the lock")
        )
        lock = []
    result.lock = lock
    for entry in lock:
        path = root / entry.path
        if not path.is_file() or path.is_symlink():
            result.findings.append(
                Finding(
                    str(LOCK_FILE),
                    entry.line,
                    "CRD-LOCK-MISMATCH",
                    f"{entry.path} is missing, so custom resources of this CRD are not validated; "
                    "run `invoke crds.fetch`",
                )
            )
        elif (digest := sha256_of(path)) != entry.sha256:
            result.findings.append(
                Finding(
                    str(entry.path),
                    1,
                    "CRD-LOCK-MISMATCH",
                    f"sha256 is {digest[:12]}…, {LOCK_FILE}:{entry.line} pins {entry.sha256[:12]}…; restore the "
                    "upstream file with `invoke crds.fetch` (or re-pin a new upstream version with `--repin`)",
                )
            )
        else:
            result.verified[path.resolve()] = entry
    directory = root / VENDORED_DIRECTORY
    for folder, _, names in os.walk(directory) if directory.is_dir() else ():
        for name in sorted(names):
            path = Path(folder) / name
            if path.resolve() not in result.verified and not any(e.path == path.relative_to(root) for e in lock):
                result.findings.append(
                    Finding(
                        str(path.relative_to(root)),
                        1,
                        "CRD-NOT-LOCKED",
                        f"not listed in {LOCK_FILE}, so the gate does not use it; add its URL and sha256 to the "
                        "lock (`invoke crds.fetch --repin` records the sha256) or delete it",
                    )
                )
    return result
