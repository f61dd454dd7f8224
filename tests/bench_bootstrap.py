"""Benchmark: `invoke bootstrap --plan` on 3 hosts against the plan on 1 host, in one run, on sshd hosts in
network namespaces with the stand-ins (root and openssh-server needed; says why when it cannot run). Prints
medians and their ratio (target: 3 hosts within 1.3x of one: hosts are probed and planned in parallel)."""

from __future__ import annotations

import contextlib
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

from gitops_toolkit.hosts.bootstrap.command import bootstrap_command
from tests.integration.test_bootstrap import write_inventory
from tests.netns_hosts import available, key_pair, netns_hosts, stand_in_files

REPOSITORY = Path(__file__).resolve().parents[1]
ROUNDS = 5
TARGET = 1.3


def _plan_seconds(inventory: Path, workspace: Path) -> float:
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = bootstrap_command(REPOSITORY, inventory, True, [], "json", str(workspace / "kubeconfig"))
    if code != 0:
        raise SystemExit(f"the plan failed (exit {code}); run the tests in tests/integration/test_bootstrap.py")
    return time.perf_counter() - started


def main() -> int:
    why = available()
    if why:
        print(f"bootstrap bench skipped: {why}")
        return 0
    with tempfile.TemporaryDirectory() as name:
        workspace = Path(name)
        key_pair(workspace / "id")
        (workspace / "token").write_text("bench-token\n", encoding="utf-8")
        public_key = (workspace / "id.pub").read_text(encoding="utf-8").strip()
        with netns_hosts(workspace / "hosts", ["cp1", "w1", "w2"], public_key, 190, stand_in_files()) as hosts:
            (workspace / "one").mkdir()
            (workspace / "three").mkdir()
            one = write_inventory(workspace / "one", workspace, hosts[:1], known=hosts)
            three = write_inventory(workspace / "three", workspace, hosts)
            _plan_seconds(three, workspace)  # warm: imports, the chart render
            timings: dict[str, list[float]] = {"1 host": [], "3 hosts": []}
            for _ in range(ROUNDS):  # interleaved, so that drift hits both alike
                timings["1 host"].append(_plan_seconds(one, workspace))
                timings["3 hosts"].append(_plan_seconds(three, workspace))
    medians = {label: statistics.median(values) for label, values in timings.items()}
    for label, value in medians.items():
        print(f"bootstrap --plan, {label}: {value:.2f} s (median of {ROUNDS})")
    ratio = medians["3 hosts"] / medians["1 host"]
    print(f"bootstrap --plan, 3 hosts / 1 host: {ratio:.2f}x (target <= {TARGET}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
