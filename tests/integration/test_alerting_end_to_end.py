"""End to end, on 127.0.0.1: a small exporter serves kube-state-metrics series of a crash-looping pod; the
real Prometheus loads our rules (unchanged but for time: minutes become seconds); the real Alertmanager
routes with our configuration; a local HTTP sink standing in for Slack must receive the Slack message on
the critical receiver, then the resolved message once the pod recovers. Every process is stopped."""

from __future__ import annotations

import http.server
import json
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml

from gitops_toolkit.alerts.routing import alertmanager_config
from gitops_toolkit.alerts.rule_tests import write_rule_files
from tests.conftest import REPOSITORY

pytestmark = pytest.mark.integration
POD = 'namespace="online-boutique",pod="cartservice-7d9f8-x2x4k",container="server",reason="CrashLoopBackOff"'
DEADLINE_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Exporter(http.server.BaseHTTPRequestHandler):
    """kube-state-metrics, reduced to one series whose value the test sets."""

    crash_looping = True

    def do_GET(self) -> None:
        body = f"kube_pod_container_status_waiting_reason{{{POD}}} {1 if Exporter.crash_looping else 0}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


class SlackSink(http.server.BaseHTTPRequestHandler):
    """Stands in for Slack's incoming webhooks: records every JSON payload with the path it was posted to."""

    received: ClassVar[list[tuple[str, dict[str, Any]]]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        SlackSink.received.append((self.path, json.loads(self.rfile.read(length) or b"{}")))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *_: Any) -> None:
        pass


def serve(handler: type[http.server.BaseHTTPRequestHandler]) -> tuple[http.server.ThreadingHTTPServer, int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, int(server.server_address[1])


def compress_time(text: str) -> str:
    """Minutes become seconds and hours minutes, in `for:` and in range selectors; nothing else changes."""
    text = re.sub(r"(for: )(\d+)m\b", r"\g<1>\2s", text)
    text = re.sub(r"\[(\d+)m\]", r"[\1s]", text)
    return re.sub(r"\[(\d+)h\]", r"[\1m]", text)


def alertmanager_for_test(workspace: Path, sink: int) -> dict[str, Any]:
    config = alertmanager_config(REPOSITORY)
    (workspace / "webhook-url").write_text(f"http://127.0.0.1:{sink}/slack")
    (workspace / "heartbeat-url").write_text(f"http://127.0.0.1:{sink}/heartbeat")
    text = yaml.safe_dump(config).replace("/etc/alertmanager/slack/", f"{workspace}/")
    config = yaml.safe_load(text)
    config["route"].update(group_wait="1s", group_interval="2s")  # timing only
    for route in config["route"].get("routes", []):
        route.pop("group_wait", None)
        route.pop("group_interval", None)
    return config


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Callable[[], None]]:
    """Exporter, Slack sink, Alertmanager and Prometheus, all on 127.0.0.1 and all stopped afterwards."""
    if not (shutil.which("prometheus") and shutil.which("prometheus-alertmanager")):
        pytest.fail("prometheus and prometheus-alertmanager must be installed (nox -s tests installs them)")
    Exporter.crash_looping = True
    SlackSink.received = []
    exporter, exporter_port = serve(Exporter)
    sink, sink_port = serve(SlackSink)
    alertmanager_port, prometheus_port = free_port(), free_port()

    rules = tmp_path / "rules"
    rules.mkdir()
    for path in write_rule_files(REPOSITORY, rules):
        path.write_text(compress_time(path.read_text()))
    (tmp_path / "alertmanager.yml").write_text(yaml.safe_dump(alertmanager_for_test(tmp_path, sink_port)))
    (tmp_path / "prometheus.yml").write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [f"{rules}/*.yaml"],
                "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{alertmanager_port}"]}]}]},
                "scrape_configs": [
                    {"job_name": "kube-state-metrics", "static_configs": [{"targets": [f"127.0.0.1:{exporter_port}"]}]}
                ],
            }
        )
    )
    logs = [(tmp_path / name).open("w") for name in ("alertmanager.log", "prometheus.log")]
    processes = [
        subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
        for log, command in zip(
            logs,
            [
                [
                    "prometheus-alertmanager",
                    f"--config.file={tmp_path / 'alertmanager.yml'}",
                    f"--storage.path={tmp_path / 'alertmanager-data'}",
                    f"--web.listen-address=127.0.0.1:{alertmanager_port}",
                    "--cluster.listen-address=",
                ],
                [
                    "prometheus",
                    f"--config.file={tmp_path / 'prometheus.yml'}",
                    f"--storage.tsdb.path={tmp_path / 'prometheus-data'}",
                    f"--web.listen-address=127.0.0.1:{prometheus_port}",
                    # timing: resend firing alerts every 2 s instead of every minute; an alert that fired before
                    # Alertmanager was discovered (Watchdog, at once) would otherwise wait for the next resend
                    "--rules.alert.resend-delay=2s",
                ],
            ],
            strict=True,
        )
    ]

    def recover() -> None:
        Exporter.crash_looping = False

    try:
        yield recover
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        for log in logs:
            log.close()
        for server in (exporter, sink):
            server.shutdown()
            server.server_close()


def wait_for_slack(title_part: str) -> dict[str, Any]:
    """The first message to the Slack webhook whose title contains `title_part` (bounded in time)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        for path, payload in list(SlackSink.received):
            titles = [attachment.get("title", "") for attachment in payload.get("attachments", [])]
            if path == "/slack" and any(title_part in title for title in titles):
                return payload
        time.sleep(0.5)
    raise AssertionError(f"no Slack message with {title_part!r} within {DEADLINE_SECONDS} s: {SlackSink.received}")


def test_a_crash_looping_pod_reaches_slack_then_resolves(stack: Callable[[], None]) -> None:
    firing = wait_for_slack("[FIRING] CRITICAL PodCrashLooping")
    assert firing["channel"] == "#platform-alerts"  # the slack-critical receiver
    [attachment] = firing["attachments"]
    assert "Pod online-boutique/cartservice-7d9f8-x2x4k is crash looping" in attachment["text"]
    assert "Object: online-boutique/cartservice-7d9f8-x2x4k" in attachment["text"]
    assert "docs/runbooks/PodCrashLooping.md" in attachment["text"]
    assert attachment["color"] == "danger"

    stack()  # the pod recovers
    resolved = wait_for_slack("[RESOLVED] CRITICAL PodCrashLooping")
    assert resolved["channel"] == "#platform-alerts"
    assert resolved["attachments"][0]["color"] == "good"
    heartbeats = [payload for path, payload in SlackSink.received if path == "/heartbeat"]
    assert heartbeats and heartbeats[0]["channel"] == "#platform-heartbeat"  # Watchdog, the dead man's switch
