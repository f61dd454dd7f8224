"""`invoke loadtest` for real (Locust, headless, in its own process) against a stand-in of the shop's frontend on
127.0.0.1: the journey reaches checkout, the evidence is written, and the thresholds decide the exit code.
No cluster is reachable here, so the replicas are reported as not sampled. Nothing is left listening."""

from __future__ import annotations

import os
import re
import select
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import pytest

from tests.conftest import INVOKE, REPOSITORY, TEST_CACHE, invoke
from tests.stand_in_shop import stand_in_shop

# "loadtest: 0:06 5 users, 4.5 requests/s, p95 120 ms, 0 errors"
PROGRESS = re.compile(r"^loadtest: \d+:\d\d 5 users, [\d.]+ requests/s, p95 [\d.]+ ms, \d+ errors", re.MULTILINE)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *arguments: object) -> None:
        return None


def request(url: str, data: str | None = None, headers: dict[str, str] | None = None) -> tuple[int, Message, str]:
    """Status, headers and body, redirects not followed (a browser's first answer)."""
    opener = urllib.request.build_opener(_NoRedirect)
    body = data.encode() if data is not None else None
    try:
        with opener.open(urllib.request.Request(url, data=body, headers=headers or {}), timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def loadtest(url: str, output: Path, home: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """The task with no cluster in reach: a fresh home, no KUBECONFIG."""
    command = ["--search-root", str(REPOSITORY), "loadtest", "--url", url, "--output-dir", str(output), *arguments]
    return invoke(home, *command, timeout=180, environment_overrides={"HOME": str(home), "KUBECONFIG": ""})


def test_the_stand_in_answers_as_the_frontend_does() -> None:
    with stand_in_shop() as shop:
        base = f"http://127.0.0.1:{shop.server_address[1]}"
        status, headers, _ = request(base + "/")
        assert status == 200 and headers["Set-Cookie"].startswith("shop_session-id=")
        assert "Max-Age=172800" in headers["Set-Cookie"]
        assert request(base + "/product/NOSUCHITEM")[0] == 500
        status, headers, _ = request(base + "/cart", "product_id=OLJCESPC7Z&quantity=2")
        assert (status, headers["Location"]) == (302, "/cart")
        assert request(base + "/cart", "product_id=OLJCESPC7Z&quantity=11")[0] == 422
        referer = {"Referer": base + "/product/OLJCESPC7Z"}
        status, headers, _ = request(base + "/setCurrency", "currency_code=EUR", referer)
        assert (status, headers["Location"]) == (302, referer["Referer"])
        assert any(cookie.startswith("shop_currency=EUR") for cookie in headers.get_all("Set-Cookie", []))
        form = (
            "email=a@example.com&street_address=1&zip_code=94043&city=c&state=CA&country=US&credit_card_number="
            "{card}&credit_card_expiration_month=1&credit_card_expiration_year=2030&credit_card_cvv=123"
        )
        status, _, body = request(base + "/cart/checkout", form.format(card="4432801561520454"))
        assert status == 200 and "order is complete" in body
        assert request(base + "/cart/checkout", form.format(card="4432801561520455"))[0] == 422


@pytest.mark.parametrize(
    ("failing_checkouts", "expected_exit", "expected"),
    [(False, 0, "ok: error rate 0"), (True, 1, "EXCEEDED: error rate")],
)
def test_the_journey_under_load_is_judged_by_its_thresholds(
    tmp_path: Path, failing_checkouts: bool, expected_exit: int, expected: str
) -> None:
    output = tmp_path / "report"
    with stand_in_shop(failing_checkouts=failing_checkouts) as shop:
        port = shop.server_address[1]
        result = loadtest(
            f"http://127.0.0.1:{port}", output, tmp_path, "--users", "5", "--spawn-rate", "5", "--duration", "10s",
            "--max-p95-ms", "2000", "--max-error-rate", "0.01",
        )  # fmt: skip
        orders = shop.orders
    assert result.returncode == expected_exit, result.stdout + result.stderr
    assert expected in result.stdout
    assert PROGRESS.search(result.stderr), result.stderr  # a line every few seconds while it runs
    assert "replicas were not sampled: no kubeconfig" in result.stdout
    stats = (output / "loadtest_stats.csv").read_text(encoding="utf-8")
    for route in ("/product/[id]", "/cart", "/setCurrency", "/cart/checkout"):
        assert f",{route}," in stats, stats
    assert (output / "loadtest_stats_history.csv").stat().st_size > 0
    assert (output / "loadtest.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if failing_checkouts:
        assert "failed: POST /cart/checkout" in result.stdout and orders == 0
    else:
        assert orders > 0, "the journey never reached a completed checkout"
    with pytest.raises(OSError):  # the shop is gone, and nothing of the run listens on its port
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_bad_arguments_are_one_line_and_exit_2(tmp_path: Path) -> None:
    result = loadtest("http://127.0.0.1:9", tmp_path / "r", tmp_path, "--duration", "ten")
    assert result.returncode == 2 and result.stderr.strip().count("\n") == 0 and "30s, 2m" in result.stderr


def test_a_url_where_nothing_answers_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as unused:  # a loopback port nobody listens on: bound, never listening
        unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}"
        result = loadtest(url, tmp_path / "r", tmp_path, "--duration", "10s")
    assert result.returncode == 2, result
    assert result.stderr == f"loadtest: nothing answers at {url} (connection refused); check --url\n"
    assert result.stdout == "" and not (tmp_path / "r").exists()


def test_ctrl_c_stops_the_run_and_keeps_its_evidence(tmp_path: Path) -> None:
    """Ctrl-C as a terminal sends it: SIGINT to the whole foreground process group."""
    output = tmp_path / "report"
    with stand_in_shop() as shop:
        command = [
            INVOKE,
            "--search-root",
            str(REPOSITORY),
            "loadtest",
            "--url",
            f"http://127.0.0.1:{shop.server_address[1]}",
        ]
        command += ["--users", "5", "--spawn-rate", "5", "--duration", "5m", "--output-dir", str(output)]
        environment = dict(os.environ, HOME=str(tmp_path), KUBECONFIG="", XDG_CACHE_HOME=str(TEST_CACHE))
        run = subprocess.Popen(
            command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment,
            start_new_session=True,
        )  # fmt: skip
        try:
            assert run.stderr is not None
            deadline, seen = time.monotonic() + 60, ""
            while time.monotonic() < deadline and not PROGRESS.search(seen) and run.poll() is None:
                if select.select([run.stderr], [], [], 1)[0]:  # never blocks past the deadline
                    seen += run.stderr.readline()
            assert PROGRESS.search(seen), seen
            started = time.monotonic()
            os.killpg(run.pid, signal.SIGINT)
            stdout, stderr = run.communicate(timeout=90)
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
                run.wait()
    assert run.returncode == 130, seen + stderr
    assert time.monotonic() - started < 60, "it ran on"
    assert "interrupted (Ctrl-C)" in stderr and re.search(r"^\d+ requests, \d+ failed", stdout, re.MULTILINE)
    assert "Traceback" not in stderr + stdout
    assert "/cart/checkout" in (output / "loadtest_stats.csv").read_text(encoding="utf-8")
    assert (output / "loadtest.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
