"""The pinned list of Helm charts (gitops-repo/charts.lock.yaml): each chart version an Application pins, the
repository that publishes it, and the sha256 of the archive the repository keeps
(gitops-repo/charts/<name>-<version>.tgz), which is what the gate renders."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gitops_toolkit.core.lock_files import SAFE_NAME, LockError, read_entries

LOCK_FILE = Path("gitops-repo") / "charts.lock.yaml"
ARCHIVE_DIRECTORY = Path("gitops-repo") / "charts"


def normal_repository(url: str) -> str:
    """A chart repository as Argo CD compares them: no scheme for OCI, no trailing slash, case-insensitive host."""
    return url.strip().removeprefix("oci://").rstrip("/").lower()


@dataclass(frozen=True)
class LockedChart:
    name: str
    version: str
    repository: str
    sha256: str
    line: int = field(default=1, compare=False)

    @property
    def path(self) -> Path:
        """The vendored archive, relative to the repository root."""
        return ARCHIVE_DIRECTORY / f"{self.name}-{self.version}.tgz"

    @property
    def is_oci(self) -> bool:
        """Argo CD's Helm-OCI form: a repository URL without an http(s) scheme."""
        return not self.repository.startswith(("http://", "https://"))

    def pins(self, repository: str, name: str, version: str) -> bool:
        return (name, version) == (self.name, self.version) and normal_repository(repository) == normal_repository(
            self.repository
        )


def read_lock(root: Path) -> list[LockedChart]:
    """The entries of the lock file, or [] when the repository has none."""
    locked: list[LockedChart] = []
    for fields, line in read_entries(root, LOCK_FILE, "charts", ("name", "version", "repository", "sha256")):
        chart = LockedChart(**fields, line=line)
        if not SAFE_NAME.match(chart.name) or not SAFE_NAME.match(chart.version):
            raise LockError(LOCK_FILE, line, "name and version must be plain (letters, digits, `.`, `_`, `-`)")
        if any(other.path == chart.path for other in locked):
            raise LockError(LOCK_FILE, line, f"{chart.name} {chart.version} is listed twice; keep one entry")
        locked.append(chart)
    return locked


def render_lock(header: str, entries: list[LockedChart]) -> str:
    """The lock file's text: its comment header, then one entry per chart version, sorted."""
    lines = [header.rstrip("\n"), "charts:"] if header.strip() else ["charts:"]
    for entry in sorted(entries, key=lambda e: (e.name, e.version)):
        lines += [
            f"  - name: {entry.name}",
            f"    version: {entry.version}",
            f"    repository: {entry.repository}",
            f"    sha256: {entry.sha256}",
        ]
    return "\n".join(lines) + "\n"


def lock_header(root: Path) -> str:
    """The comment lines above `charts:` in the current lock, kept when the lock is rewritten."""
    path = root / LOCK_FILE
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    return "".join(line for line in text.splitlines(keepends=True)[: _header_length(text)] if line.startswith("#"))


def _header_length(text: str) -> int:
    lines = text.splitlines()
    return next((position for position, line in enumerate(lines) if line.startswith("charts:")), 0)
