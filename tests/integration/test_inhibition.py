"""The repository's inhibition rules in a real Alertmanager on 127.0.0.1: a critical alert silences the warnings
about the same object (a pod, a node), never warnings about other objects, never cluster-wide warnings because
both lack the same labels, never the Watchdog."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.test_alerting_end_to_end import SlackSink, alertmanager_for_test, free_port, serve

DEADLINE_SECONDS = 30

CRITICAL = [
    {"alertname": "PodCrashLooping", "severity": "critical", "namespace": "shop", "pod": "cart-1"},
    {"alertname": "NodeMemoryPressure", "severity": "critical", "instance": "10.0.0.12:9100"},
    {"alertname": "KubeAPIErrorBudgetBurn", "severity": "critical", "long": "1h", "short": "5m"},
]
WARNINGS = {
    # warning -> whether the critical alerts above silence it
    "same pod": (
        {"alertname": "KubeContainerWaiting", "severity": "warning", "namespace": "shop", "pod": "cart-1"},
        True,
    ),
    "another pod": (
        {"alertname": "KubeContainerWaiting", "severity": "warning", "namespace": "shop", "pod": "cart-2"},
        False,
    ),
    "same node": ({"alertname": "NodeDiskFillingUp", "severity": "warning", "instance": "10.0.0.12:9100"}, True),
    "another node": ({"alertname": "NodeDiskFillingUp", "severity": "warning", "instance": "10.0.0.13:9100"}, False),
    "cluster-wide": ({"alertname": "KubeCPUOvercommit", "severity": "warning"}, False),
    "the heartbeat": ({"alertname": "Watchdog", "severity": "warning"}, False),
}


def _request(url: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        text = response.read().decode()
    return json.loads(text) if text else None


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[str]:
    """Alertmanager with this repository's configuration on 127.0.0.1, stopped afterwards; its API's URL."""
    if not shutil.which("prometheus-alertmanager"):
        pytest.fail("prometheus-alertmanager must be installed (nox -s tests installs it)")
    sink, sink_port = serve(SlackSink)
    port = free_port()
    (tmp_path / "alertmanager.yml").write_text(yaml.safe_dump(alertmanager_for_test(tmp_path, sink_port)))
    with (tmp_path / "alertmanager.log").open("w") as log:
        process = subprocess.Popen(
            [
                "prometheus-alertmanager",
                f"--config.file={tmp_path / 'alertmanager.yml'}",
                f"--storage.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
            ],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        url = f"http://127.0.0.1:{port}/api/v2"
        try:
            deadline = time.monotonic() + DEADLINE_SECONDS
            while time.monotonic() < deadline:
                try:
                    _request(f"{url}/status")
                    break
                except (urllib.error.URLError, ConnectionError):
                    time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            sink.shutdown()
            sink.server_close()


def test_a_critical_alert_silences_only_the_warnings_about_its_object(alertmanager: str) -> None:
    alerts = CRITICAL + [labels for labels, _ in WARNINGS.values()]
    _request(f"{alertmanager}/alerts", [{"labels": labels} for labels in alerts])
    expected = {name: silenced for name, (_, silenced) in WARNINGS.items()}
    found: dict[str, bool] = {}
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:  # Alertmanager evaluates inhibitions as alerts arrive: bounded wait
        states = {
            json.dumps(a["labels"], sort_keys=True): bool(a["status"]["inhibitedBy"])
            for a in _request(f"{alertmanager}/alerts")
        }
        found = {name: states.get(json.dumps(labels, sort_keys=True), False) for name, (labels, _) in WARNINGS.items()}
        if found == expected:
            break
        time.sleep(0.5)
    assert found == expected
