"""The load test itself, in a process of its own (Locust patches the standard library for gevent when it is
imported): the journey run headless as a library, CSV statistics written while it runs, every few seconds a
sample of request rate, p95 latency and, when the cluster answers, every HPA's replicas and the pods' CPU.
Reads its settings as JSON on stdin; writes a progress line every few seconds and then the summary, as JSON lines
on stdout (tools/python_module.py). SIGINT (Ctrl-C) ends the run early, and what ran so far is still written."""

from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402
import gevent.event  # noqa: E402
from locust.env import Environment  # noqa: E402
from locust.stats import CSV_STATS_INTERVAL_SEC, PERCENTILES_TO_REPORT, StatsCSVFileWriter  # noqa: E402

from gitops_toolkit.checks.loadtest.journey import Shopper  # noqa: E402
from gitops_toolkit.checks.loadtest.plot import plot  # noqa: E402
from gitops_toolkit.core.errors import ToolError  # noqa: E402
from gitops_toolkit.tools.kubectl_cluster import connect  # noqa: E402

SAMPLE_SECONDS = 2.0
PROGRESS_SECONDS = 5.0


def _emit(event: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def _progress(point: dict[str, Any], users: int, failures: int, requests: int) -> str:
    """One line for the operator: how far, how hard, how well."""
    minutes, seconds = divmod(int(point["seconds"]), 60)
    errors = f"{failures} errors ({failures / requests:.1%})" if requests else "0 errors"
    line = f"{minutes}:{seconds:02d} {users} users, {point['rps']:g} requests/s, p95 {point['p95_ms']:g} ms, {errors}"
    if point["replicas"]:
        shown = ", ".join(
            f"{name.split('/')[-1]} {current}" for name, (current, _) in sorted(point["replicas"].items())
        )
        line += f"; replicas {shown}"
    return line


def _replicas(cluster: Any) -> dict[str, tuple[int, int]]:
    """{namespace/name: (current, desired)} of every HorizontalPodAutoscaler."""
    items = cluster.get("horizontalpodautoscalers", "--all-namespaces")["items"]
    return {
        f"{item['metadata']['namespace']}/{item['metadata']['name']}": (
            int(item.get("status", {}).get("currentReplicas", 0)),
            int(item.get("status", {}).get("desiredReplicas", 0)),
        )
        for item in items
    }


def _millicores(quantity: str) -> float:
    units = {"n": 1e-6, "u": 1e-3, "m": 1.0}
    return float(quantity[:-1]) * units[quantity[-1]] if quantity[-1:] in units else float(quantity) * 1000


def _cpu(cluster: Any) -> dict[str, float]:
    """{namespace/pod: millicores} from metrics-server (the metrics API); empty when it does not serve them."""
    try:
        items = cluster.raw("/apis/metrics.k8s.io/v1beta1/pods")["items"]
    except ToolError:
        return {}
    return {
        f"{item['metadata']['namespace']}/{item['metadata']['name']}": round(
            sum(_millicores(c["usage"]["cpu"]) for c in item.get("containers", [])), 1
        )
        for item in items
    }


def main() -> None:
    stop_requested = gevent.event.Event()
    gevent.signal_handler(signal.SIGINT, stop_requested.set)
    settings = json.load(sys.stdin)
    output = Path(settings["output_dir"])
    output.mkdir(parents=True, exist_ok=True)
    environment = Environment(user_classes=[Shopper], host=settings["url"])
    runner = environment.create_local_runner()
    writer = StatsCSVFileWriter(environment, PERCENTILES_TO_REPORT, str(output / "loadtest"), full_history=True)
    csv_writing = gevent.spawn(writer)
    try:
        cluster = connect(settings["kubeconfig"], settings["context"])
        cluster_note = ""
    except ToolError as error:
        cluster, cluster_note = None, str(error)
    samples: list[dict[str, Any]] = []

    def sample() -> None:
        nonlocal cluster, cluster_note
        started = last_progress = time.monotonic()
        while True:
            gevent.sleep(SAMPLE_SECONDS)
            total = environment.stats.total
            point: dict[str, Any] = {
                "seconds": round(time.monotonic() - started, 1),
                "rps": round(total.current_rps, 2),
                "p95_ms": total.get_current_response_time_percentile(0.95) or 0,
                "replicas": {},
                "cpu_millicores": {},
            }
            if cluster is not None:
                try:
                    point["replicas"] = _replicas(cluster)
                    point["cpu_millicores"] = _cpu(cluster)
                except ToolError as error:
                    cluster, cluster_note = None, str(error)
            samples.append(point)
            if time.monotonic() - last_progress >= PROGRESS_SECONDS:
                last_progress = time.monotonic()
                _emit({"progress": _progress(point, runner.user_count, total.num_failures, total.num_requests)})

    sampling = gevent.spawn(sample)
    runner.start(settings["users"], spawn_rate=settings["spawn_rate"])
    gevent.spawn_later(settings["duration"], runner.quit)

    def quit_when_asked() -> None:
        stop_requested.wait()
        runner.quit()

    gevent.spawn(quit_when_asked)
    runner.greenlet.join()
    gevent.sleep(CSV_STATS_INTERVAL_SEC + 0.2)  # the writer's last round, with the final numbers
    sampling.kill()
    csv_writing.kill()
    writer.close_files()
    total = environment.stats.total
    summary = {
        "requests": total.num_requests,
        "failures": total.num_failures,
        "error_rate": total.fail_ratio,
        "p95_ms": total.get_response_time_percentile(0.95) or 0,
        "rps": round(total.total_rps, 2),
        "replicas_sampled": not cluster_note,
        "cluster_note": cluster_note,
        "failures_by_request": {f"{e.method} {e.name}": e.occurrences for e in environment.stats.errors.values()},
        # Ctrl-C reaches this process and the verb's alike, but under load the verb was seen to miss it (exit 0
        # after a Ctrl-C): the run says itself that it ended early.
        "stopped_early": stop_requested.is_set(),
    }
    (output / "samples.json").write_text(json.dumps(samples, indent=1), encoding="utf-8")
    plot(samples, output / "loadtest.png", cluster_note)
    _emit({"result": summary})


if __name__ == "__main__":
    main()
