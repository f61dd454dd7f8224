"""The load test as a picture: request rate, p95 latency and every HPA's replicas over time, one panel each,
so that "the HPAs scaled out and back in" can be seen rather than claimed."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

# A note in an empty panel: wrapped to fit inside it, never over the axis labels beside and below.
_NOTE_WIDTH_CHARACTERS = 80
_NOTE_LINES = 4


def figure_of(samples: list[dict[str, Any]], replicas_note: str = "") -> Figure:
    seconds = [sample["seconds"] for sample in samples]
    figure, (rate, latency, replicas) = plt.subplots(3, 1, figsize=(10, 9), sharex=True)
    rate.plot(seconds, [sample["rps"] for sample in samples], color="tab:blue")
    rate.set_ylabel("requests/s")
    latency.plot(seconds, [sample["p95_ms"] for sample in samples], color="tab:orange")
    latency.set_ylabel("p95 latency (ms)")
    names = sorted({name for sample in samples for name in sample["replicas"]})
    for name in names:
        replicas.step(
            seconds, [sample["replicas"].get(name, (0, 0))[0] for sample in samples], where="post", label=name
        )
    if names:
        replicas.legend(fontsize="small", loc="upper left")
    else:
        message = f"replicas not sampled: {replicas_note}" if replicas_note else "no HorizontalPodAutoscaler found"
        lines = textwrap.wrap(message, _NOTE_WIDTH_CHARACTERS, max_lines=_NOTE_LINES, placeholder=" …")
        replicas.text(0.5, 0.5, "\n".join(lines), ha="center", va="center", transform=replicas.transAxes)
    replicas.set_ylabel("replicas (current)")
    replicas.set_xlabel("seconds since the start")
    figure.suptitle("invoke loadtest")
    figure.tight_layout()
    return figure


def plot(samples: list[dict[str, Any]], path: Path, replicas_note: str = "") -> None:
    figure = figure_of(samples, replicas_note)
    figure.savefig(path, dpi=100)
    plt.close(figure)
