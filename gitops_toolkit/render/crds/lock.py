"""The pinned list of add-on CRDs (gitops-repo/crds.lock.yaml): which Application installs each CRD file,
where upstream publishes it, its sha256, and where the repository keeps its copy
(gitops-repo/crds/<application>/<file name>), which is what the gate validates custom resources against."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gitops_toolkit.core.lock_files import SAFE_NAME, LockError, read_entries

LOCK_FILE = Path("gitops-repo") / "crds.lock.yaml"
VENDORED_DIRECTORY = Path("gitops-repo") / "crds"


@dataclass(frozen=True)
class LockedCrd:
    application: str
    url: str
    sha256: str
    line: int = field(default=1, compare=False)

    @property
    def path(self) -> Path:
        """The vendored copy, relative to the repository root."""
        return VENDORED_DIRECTORY / self.application / self.url.rsplit("/", 1)[-1]


def read_lock(root: Path) -> list[LockedCrd]:
    """The entries of the lock file, or [] when the repository has none."""
    locked: list[LockedCrd] = []
    for fields, line in read_entries(root, LOCK_FILE, "crds", ("application", "url", "sha256")):
        crd = LockedCrd(**fields, line=line)
        if not SAFE_NAME.match(crd.application) or not SAFE_NAME.match(crd.path.name):
            raise LockError(
                LOCK_FILE,
                line,
                "the application and the URL's file name must be plain file names (letters, digits, `.`, `_`, `-`)",
            )
        if any(other.path == crd.path for other in locked):
            raise LockError(LOCK_FILE, line, f"a second entry would be kept at {crd.path}; list each file once")
        locked.append(crd)
    return locked
