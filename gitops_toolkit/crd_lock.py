"""The pinned list of add-on CRDs (gitops-repo/crds.lock.yaml): which Application installs each CRD file,
where it is published and its sha256; and `crds.fetch`, which downloads and verifies them into the cache
the gate reads by default."""

from __future__ import annotations

import hashlib
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gitops_toolkit.cache import cache_root
from gitops_toolkit.errors import ToolError
from gitops_toolkit.files import write_atomic
from gitops_toolkit.yaml_safety import YamlRejected, load_yaml_file

LOCK_FILE = Path("gitops-repo") / "crds.lock.yaml"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_MAX_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class LockedCrd:
    application: str
    url: str
    sha256: str

    @property
    def file_name(self) -> str:
        return f"{self.sha256[:12]}-{self.url.rsplit('/', 1)[-1]}"


def read_lock(root: Path) -> list[LockedCrd]:
    """The entries of the lock file, or [] when the repository has none."""
    path = root / LOCK_FILE
    if not path.is_file():
        return []
    try:
        documents = load_yaml_file(path)
    except YamlRejected as error:
        raise ToolError(f"{LOCK_FILE}:{error.line or 1}: {error.message}") from None
    document = documents[0] if len(documents) == 1 else None
    entries = document.data.get("crds") if document and isinstance(document.data, dict) else None
    if document is None or not isinstance(entries, list):
        raise ToolError(f"{LOCK_FILE}: expected one document with a list under `crds:`")
    locked = []
    for position, entry in enumerate(entries):
        fields = (
            {key: str(entry.get(key, "")) for key in ("application", "url", "sha256")}
            if isinstance(entry, dict)
            else {}
        )
        if not fields or not all(fields.values()) or not _SHA256.match(fields["sha256"]):
            line = document.line_of(["crds", position])
            raise ToolError(f"{LOCK_FILE}:{line}: each entry needs application, url and a 64-hex sha256")
        locked.append(LockedCrd(**fields))
    return locked


def cache_directory() -> Path:
    return cache_root() / "crds"


Download = Callable[[str], bytes]


def _download(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            data: bytes = response.read(_MAX_BYTES + 1)
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise ToolError(f"cannot download {url}: {getattr(error, 'reason', error)}") from None
    if len(data) > _MAX_BYTES:
        raise ToolError(f"{url} is larger than {_MAX_BYTES} bytes; is it the CRD file?")
    return data


def fetch(entries: list[LockedCrd], destination: Path, download: Download = _download) -> tuple[int, int]:
    """Download every entry not already cached; a file whose sha256 differs is refused and not written.
    Returns (downloaded, already present)."""
    downloaded = present = 0
    for entry in entries:
        target = destination / entry.file_name
        if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == entry.sha256:
            present += 1
            continue
        data = download(entry.url)
        digest = hashlib.sha256(data).hexdigest()
        if digest != entry.sha256:
            raise ToolError(
                f"{entry.url}: sha256 is {digest}, the lock says {entry.sha256}; the file changed upstream or the "
                f"lock is wrong (nothing was written)"
            )
        write_atomic(target, data.decode("utf-8"))
        downloaded += 1
    return downloaded, present
