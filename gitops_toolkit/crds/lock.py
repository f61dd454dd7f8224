"""The pinned list of add-on CRDs (gitops-repo/crds.lock.yaml): which Application installs each CRD file,
where upstream publishes it, its sha256, and where the repository keeps its copy
(gitops-repo/crds/<application>/<file name>), which is what the gate validates custom resources against."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from gitops_toolkit.errors import ToolError
from gitops_toolkit.yaml_safety import YamlRejected, load_yaml_file

LOCK_FILE = Path("gitops-repo") / "crds.lock.yaml"
VENDORED_DIRECTORY = Path("gitops-repo") / "crds"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class LockError(ToolError):
    """The lock file itself is wrong: where, and what to change."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"{LOCK_FILE}:{line}: {message}")
        self.line = line
        self.message = message


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


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_lock(root: Path) -> list[LockedCrd]:
    """The entries of the lock file, or [] when the repository has none."""
    path = root / LOCK_FILE
    if not path.is_file():
        return []
    try:
        documents = load_yaml_file(path)
    except YamlRejected as error:
        raise LockError(error.line or 1, error.message) from None
    document = documents[0] if len(documents) == 1 else None
    entries = document.data.get("crds") if document and isinstance(document.data, dict) else None
    if document is None or not isinstance(entries, list):
        raise LockError(1, "expected one document with a list under `crds:`")
    locked: list[LockedCrd] = []
    for position, entry in enumerate(entries):
        line = document.line_of(["crds", position])
        fields = (
            {key: str(entry.get(key, "")) for key in ("application", "url", "sha256")}
            if isinstance(entry, dict)
            else {}
        )
        if not fields or not all(fields.values()) or not _SHA256.match(fields["sha256"]):
            raise LockError(line, "each entry needs application, url and a 64-hex sha256")
        crd = LockedCrd(**fields, line=line)
        if not _SAFE_NAME.match(crd.application) or not _SAFE_NAME.match(crd.path.name):
            raise LockError(
                line,
                "the application and the URL's file name must be plain file names (letters, digits, `.`, `_`, `-`)",
            )
        if any(other.path == crd.path for other in locked):
            raise LockError(line, f"a second entry would be kept at {crd.path}; list each file once")
        locked.append(crd)
    return locked
