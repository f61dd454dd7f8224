"""`invoke charts.fetch` against chart repositories the test starts on 127.0.0.1: an HTTP repository (index.yaml
with each archive's digest) and an OCI registry (manifest and blobs, as Helm's client reads them). Archives are
written with the lock only when every download matches its repository's digest and the lock."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gitops_toolkit.core.lock_files import sha256_of
from gitops_toolkit.render.charts.lock import LOCK_FILE, read_lock
from tests.charts import package_chart
from tests.conftest import REPOSITORY, invoke


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Registry:
    """What both servers publish; tests change it to stand for upstream changes or tampering."""

    http_archive: bytes
    oci_archive: bytes
    index_digest: str = ""  # the HTTP index's digest of the archive (default: the true one)
    oci_blob_override: bytes | None = None  # bytes served for the chart layer instead of the real ones
    requests: list[str] = field(default_factory=list)


class _Handler(http.server.BaseHTTPRequestHandler):
    registry: Registry

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def _answer(self, send_body: bool) -> None:
        registry = self.registry
        registry.requests.append(self.path)
        config = json.dumps({"apiVersion": "v2", "name": "oci-demo", "version": "0.2.0"}).encode()
        layer = registry.oci_archive
        blobs = {_digest(config): config, _digest(layer): registry.oci_blob_override or layer}
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {
                    "mediaType": "application/vnd.cncf.helm.config.v1+json",
                    "digest": _digest(config),
                    "size": len(config),
                },
                "layers": [
                    {
                        "mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
                        "digest": _digest(layer),
                        "size": len(layer),
                    }
                ],
            }
        ).encode()
        index_digest = registry.index_digest or _digest(registry.http_archive).removeprefix("sha256:")
        index = (
            "apiVersion: v1\nentries:\n  http-demo:\n"
            f"    - name: http-demo\n      version: 0.1.0\n      digest: {index_digest}\n"
            "      urls: [archives/http-demo-0.1.0.tgz]\n"
        ).encode()
        routes = {
            "/charts/index.yaml": (index, "text/yaml"),
            "/charts/archives/http-demo-0.1.0.tgz": (registry.http_archive, "application/gzip"),
            "/v2/": (b"{}", "application/json"),
            "/v2/charts/oci-demo/manifests/0.2.0": (manifest, "application/vnd.oci.image.manifest.v1+json"),
        }
        if self.path.startswith("/v2/charts/oci-demo/blobs/"):
            blob = blobs.get(self.path.rsplit("/", 1)[1])
            routes[self.path] = (blob, "application/octet-stream") if blob is not None else (b"", "")
        data, content_type = routes.get(self.path, (b"", ""))
        if not content_type:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if send_body:
            self.wfile.write(data)


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[tuple[Registry, int]]:
    """One server on 127.0.0.1 answering as an HTTP chart repository (/charts) and an OCI registry (/v2)."""
    served = Registry(
        package_chart("http-demo", "0.1.0", tmp_path / "packaged"),
        package_chart("oci-demo", "0.2.0", tmp_path / "packaged"),
    )
    handler = type("Handler", (_Handler,), {"registry": served})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _site(root: Path, port: int) -> Path:
    """A repository whose Applications pin one chart from each server."""
    application = """apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {{name: {name}, namespace: argocd}}
spec:
  project: default
  source: {{repoURL: "{url}", chart: {name}, targetRevision: {version}}}
  destination: {{server: https://kubernetes.default.svc, namespace: demo}}
"""
    platform = root / "gitops-repo" / "platform"
    platform.mkdir(parents=True)
    (platform / "http.yaml").write_text(
        application.format(name="http-demo", url=f"http://127.0.0.1:{port}/charts", version="0.1.0")
    )
    (platform / "oci.yaml").write_text(
        application.format(name="oci-demo", url=f"127.0.0.1:{port}/charts", version="0.2.0")
    )
    return root


def _fetch(root: Path, *options: str) -> tuple[int, str]:
    completed = invoke(REPOSITORY, "charts.fetch", "--root", str(root), *options, timeout=120)
    assert "Traceback" not in completed.stderr
    return completed.returncode, completed.stdout + completed.stderr


def test_fetch_vendors_and_pins_every_chart_from_http_and_oci(tmp_path: Path, registry: tuple[Registry, int]) -> None:
    served, port = registry
    root = _site(tmp_path / "site", port)
    code, output = _fetch(root)
    assert code == 0, output
    locked = {entry.name: entry for entry in read_lock(root)}
    assert set(locked) == {"http-demo", "oci-demo"}
    assert locked["http-demo"].sha256 == hashlib.sha256(served.http_archive).hexdigest()
    assert locked["oci-demo"].sha256 == hashlib.sha256(served.oci_archive).hexdigest()
    for entry in locked.values():
        assert sha256_of(root / entry.path) == entry.sha256
    assert any(path.startswith("/v2/charts/oci-demo/blobs/") for path in served.requests)
    # A second run finds everything in place.
    code, output = _fetch(root)
    assert code == 0 and "0 chart archive(s) written, 2 unchanged" in output, output


def test_an_archive_that_differs_from_the_repository_index_is_refused(
    tmp_path: Path, registry: tuple[Registry, int]
) -> None:
    served, port = registry
    served.index_digest = "f" * 64
    root = _site(tmp_path / "site", port)
    code, output = _fetch(root)
    assert code == 2
    assert "http-demo 0.1.0" in output and "index says" in output and "nothing was written" in output
    assert not (root / LOCK_FILE).exists() and not (root / "gitops-repo" / "charts").exists()


def test_an_oci_blob_that_differs_from_its_manifest_is_refused(tmp_path: Path, registry: tuple[Registry, int]) -> None:
    served, port = registry
    served.oci_blob_override = served.http_archive  # the registry serves other bytes under the chart's digest
    root = _site(tmp_path / "site", port)
    code, output = _fetch(root)
    assert code == 2 and "oci-demo" in output, output
    assert not (root / LOCK_FILE).exists() and not (root / "gitops-repo" / "charts").exists()


def test_a_chart_republished_upstream_is_refused_until_repinned(tmp_path: Path, registry: tuple[Registry, int]) -> None:
    served, port = registry
    root = _site(tmp_path / "site", port)
    assert _fetch(root)[0] == 0
    before = (root / LOCK_FILE).read_text()
    served.http_archive = package_chart("http-demo", "0.1.0", tmp_path / "republished", marker="republished")
    code, output = _fetch(root)
    assert code == 2 and "--repin" in output and "nothing was written" in output, output
    assert (root / LOCK_FILE).read_text() == before
    code, output = _fetch(root, "--repin")
    assert code == 0 and "1 new sha256 recorded" in output, output
    locked = {entry.name: entry for entry in read_lock(root)}
    assert locked["http-demo"].sha256 == hashlib.sha256(served.http_archive).hexdigest()
    assert sha256_of(root / locked["http-demo"].path) == locked["http-demo"].sha256
