"""Refresh the vendored chart archives from their chart repositories: every chart version an Application pins is
downloaded (HTTP repositories through their index.yaml, whose digest the archive must match; OCI registries
through Helm's client, which checks each blob against its manifest), compared with the lock's sha256 (a new
chart version is added to the lock; a changed archive is refused unless re-pinning), and only when every
download passed are the archives and the lock written, each atomically."""

from __future__ import annotations

import hashlib
import ipaddress
import tempfile
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from gitops_toolkit.core.atomic_files import write_atomic
from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.core.lock_files import sha256_of
from gitops_toolkit.render.charts.lock import LOCK_FILE, LockedChart, normal_repository
from gitops_toolkit.tools.helm_engine import HelmError
from gitops_toolkit.tools.helm_pull import pull
from gitops_toolkit.tools.http import download

_MAX_INDEX_BYTES = 64 * 1024 * 1024
_MAX_ARCHIVE_BYTES = 32 * 1024 * 1024

Download = Callable[[str, int], bytes]


@dataclass(frozen=True)
class PinnedChart:
    """A chart version an Application pins, and where (for messages)."""

    name: str
    version: str
    repository: str
    where: str


@dataclass(frozen=True)
class FetchResult:
    written: int
    unchanged: int
    added: int
    repinned: int
    unused: tuple[LockedChart, ...]


def _from_http_repository(chart: PinnedChart, get: Download) -> bytes:
    """The archive an HTTP chart repository's index lists for this version, checked against the index digest."""
    base = chart.repository.rstrip("/") + "/"
    try:
        index = yaml.safe_load(get(base + "index.yaml", _MAX_INDEX_BYTES))
    except yaml.YAMLError:
        raise ToolError(f"{base}index.yaml is not YAML; is {chart.repository} a chart repository?") from None
    entries = (index.get("entries") or {}).get(chart.name) if isinstance(index, dict) else None
    entry = next(
        (e for e in entries or [] if isinstance(e, dict) and str(e.get("version")) == chart.version),
        None,
    )
    if entry is None or not entry.get("urls"):
        raise ToolError(f"{chart.repository} has no chart {chart.name} {chart.version} ({chart.where}); fix the pin")
    data = get(urllib.parse.urljoin(base, str(entry["urls"][0])), _MAX_ARCHIVE_BYTES)
    digest = hashlib.sha256(data).hexdigest()
    if entry.get("digest") is not None and str(entry["digest"]).removeprefix("sha256:") != digest:
        raise ToolError(
            f"{chart.name} {chart.version} from {chart.repository}: the archive's sha256 is {digest}, the repository's "
            f"index says {entry['digest']}; refusing it (nothing was written)"
        )
    return data


def _is_loopback(repository: str) -> bool:
    host = urllib.parse.urlsplit("//" + repository).hostname or ""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _from_oci_registry(chart: PinnedChart) -> bytes:
    """The archive an OCI registry holds under <repository>/<name>:<version> (plain HTTP only on loopback)."""
    reference = f"oci://{normal_repository(chart.repository)}/{chart.name}"
    with tempfile.TemporaryDirectory(prefix="charts-fetch-") as directory:
        try:
            archive = pull(reference, chart.version, Path(directory), None, plain_http=_is_loopback(chart.repository))
        except HelmError as error:
            raise ToolError(f"cannot pull {reference}:{chart.version} ({chart.where}): {error}") from None
        return archive.read_bytes()


def fetch_archive(chart: PinnedChart, get: Download = download) -> bytes:
    if chart.repository.startswith(("http://", "https://")):
        return _from_http_repository(chart, get)
    return _from_oci_registry(chart)


def fetch(
    root: Path, pinned: list[PinnedChart], locked: list[LockedChart], get: Download = download, repin: bool = False
) -> tuple[FetchResult, list[LockedChart]]:
    """Download every pinned chart and check it; returns the result and the new lock entries. Nothing is written
    when one download fails or differs from the lock (unless `repin`)."""
    downloaded: list[tuple[LockedChart, bytes]] = []
    added = repinned = 0
    for chart in pinned:
        data = fetch_archive(chart, get)
        digest = hashlib.sha256(data).hexdigest()
        entry = next((e for e in locked if e.pins(chart.repository, chart.name, chart.version)), None)
        if entry is not None and entry.sha256 != digest:
            if not repin:
                raise ToolError(
                    f"{chart.name} {chart.version}: the archive's sha256 is {digest}, {LOCK_FILE}:{entry.line} pins "
                    f"{entry.sha256}; the chart changed upstream or the lock is wrong (nothing was written; "
                    "`invoke charts.fetch --repin` records the new one)"
                )
            repinned += 1
        elif entry is None:
            added += 1
        downloaded.append((LockedChart(chart.name, chart.version, chart.repository, digest), data))
    written = unchanged = 0
    for entry, data in downloaded:
        target = root / entry.path
        if target.is_file() and sha256_of(target) == entry.sha256:
            unchanged += 1
            continue
        write_atomic(target, data)
        written += 1
    new_lock = [entry for entry, _ in downloaded]
    unused = tuple(e for e in locked if not any(e.pins(n.repository, n.name, n.version) for n in new_lock))
    return FetchResult(written, unchanged, added, repinned, unused), new_lock
