"""The one module that talks to a running cluster: kubectl from the pinned wheel (`-o json` for reads), and
HTTP to in-cluster Services through `kubectl port-forward` on 127.0.0.1. The kubeconfig is chosen explicitly
(--kubeconfig, then $KUBECONFIG, then the one `invoke bootstrap` wrote, then ~/.kube/config). No kubeconfig,
or a cluster that does not answer, is ClusterUnreachable: one line."""

from __future__ import annotations

import base64
import json
import os
import re
import selectors
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from gitops_toolkit.tools.cluster_api import ClusterError, ClusterUnreachable, HttpAnswer
from gitops_toolkit.tools.kubectl import kubectl_path

REQUEST_TIMEOUT = "10s"
COMMAND_SECONDS = 60
HTTP_SECONDS = 15
FORWARD_START_SECONDS = 15
# kubectl's words for "no answer" or "not let in", as opposed to an answer that refuses the request
_UNREACHABLE = re.compile(
    r"unable to connect|connection refused|was refused|no such host|i/o timeout|timeout|tls:|x509|unauthorized"
    r"|provide credentials|context .* does not exist|no configuration|network is unreachable",
    re.IGNORECASE,
)
_FORWARDING = re.compile(r"Forwarding from 127\.0\.0\.1:(\d+)")


def find_kubeconfig(requested: str = "") -> Path:
    candidates = (
        [requested]
        if requested
        else [
            *os.environ.get("KUBECONFIG", "").split(os.pathsep),
            "~/.kube/gitops-platform.conf",
            "~/.kube/config",
        ]
    )
    for candidate in candidates:
        if candidate and Path(os.path.expanduser(candidate)).is_file():
            return Path(os.path.expanduser(candidate))
    where = requested or "$KUBECONFIG, ~/.kube/gitops-platform.conf, ~/.kube/config"
    raise ClusterUnreachable(f"no kubeconfig at {where}; run `invoke bootstrap` or pass --kubeconfig")


class Cluster:
    """A cluster reached with one kubeconfig (and context); close() stops its port-forwards."""

    def __init__(self, kubeconfig: Path, context: str = "") -> None:
        self.kubeconfig = kubeconfig
        self.context = context
        self._forwards: dict[tuple[str, str, int], tuple[subprocess.Popen[str], int]] = {}

    def _command(self) -> list[str]:
        command = [str(kubectl_path()), "--kubeconfig", str(self.kubeconfig), f"--request-timeout={REQUEST_TIMEOUT}"]
        return command + (["--context", self.context] if self.context else [])

    def _run(self, arguments: list[str], stdin: str = "") -> str:
        try:
            completed = subprocess.run(
                [*self._command(), *arguments],
                input=stdin,
                capture_output=True,
                text=True,
                timeout=COMMAND_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise ClusterUnreachable(
                f"the cluster of {self.kubeconfig} did not answer within {COMMAND_SECONDS} s"
            ) from None
        if completed.returncode != 0:
            # kubectl's last line sums up (client-go's retry noise comes before it)
            last = next((line for line in reversed(completed.stderr.splitlines()) if line.strip()), "kubectl failed")
            if _UNREACHABLE.search(last):
                raise ClusterUnreachable(f"the cluster of {self.kubeconfig}: {last.strip()}")
            raise ClusterError(f"kubectl {' '.join(arguments[:3])}: {last.strip()}")
        return completed.stdout

    def get(self, *arguments: str) -> Any:
        return json.loads(self._run(["get", *arguments, "-o", "json"]))

    def raw(self, path: str) -> Any:
        return json.loads(self._run(["get", "--raw", path]))

    def text(self, *arguments: str) -> str:
        return self._run(list(arguments))

    def change(self, *arguments: str, stdin: str = "") -> str:
        return self._run(list(arguments), stdin)

    def _local_port(self, namespace: str, service: str, port: int) -> int:
        key = (namespace, service, port)
        if key in self._forwards and self._forwards[key][0].poll() is None:
            return self._forwards[key][1]
        process = subprocess.Popen(
            [
                *self._command(),
                "port-forward",
                "-n",
                namespace,
                f"service/{service}",
                f":{port}",
                "--address",
                "127.0.0.1",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + FORWARD_START_SECONDS
        with selectors.DefaultSelector() as selector:
            assert process.stdout is not None
            selector.register(process.stdout, selectors.EVENT_READ)
            while time.monotonic() < deadline and process.poll() is None:
                ready = selector.select(timeout=max(deadline - time.monotonic(), 0))
                if ready and (match := _FORWARDING.search(process.stdout.readline())):
                    # kubectl prints a line per connection from now on: keep reading, or its pipe fills up
                    threading.Thread(target=process.stdout.read, daemon=True).start()
                    self._forwards[key] = (process, int(match.group(1)))
                    return int(match.group(1))
        process.kill()
        _, errors = process.communicate(timeout=5)
        first = next((line for line in errors.splitlines() if line.strip()), "no answer").strip()
        raise ClusterError(f"port-forward to {namespace}/{service}:{port} did not start: {first}")

    def http(
        self, namespace: str, service: str, port: int, path: str, auth: tuple[str, str] | None = None
    ) -> HttpAnswer:
        local = self._local_port(namespace, service, port)
        request = urllib.request.Request(f"http://127.0.0.1:{local}{path}")
        if auth:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, timeout=HTTP_SECONDS) as response:
                return HttpAnswer(response.status, response.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as error:
            return HttpAnswer(error.code, error.read().decode("utf-8", "replace"))
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise ClusterError(f"{namespace}/{service}:{port}{path}: {getattr(error, 'reason', error)}") from None

    def close(self) -> None:
        for process, _ in self._forwards.values():
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        self._forwards.clear()


def connect(kubeconfig: str = "", context: str = "") -> Cluster:
    return Cluster(find_kubeconfig(kubeconfig), context)
