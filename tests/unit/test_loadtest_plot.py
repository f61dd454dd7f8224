"""The load test's plot: a note in the replicas panel stays inside the panel, clear of every axis label."""

from __future__ import annotations

import matplotlib.pyplot as plt

from gitops_toolkit.checks.loadtest.plot import figure_of

SAMPLES = [{"seconds": s, "rps": 10.0, "p95_ms": 120, "replicas": {}, "cpu_millicores": {}} for s in (2, 4, 6)]
# What the cluster client says when no kubeconfig is in reach, from a deep working directory.
LONG_NOTE = (
    "no kubeconfig at /tmp/pytest-of-root/pytest-12/test_the_journey_under_load_is0/.kube/config; "
    "run `invoke bootstrap` or pass --kubeconfig"
)


def test_a_long_note_stays_inside_its_panel_and_clear_of_the_labels() -> None:
    figure = figure_of(SAMPLES, LONG_NOTE)
    try:
        figure.canvas.draw()
        renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
        panel = figure.axes[2]
        [note] = panel.texts
        box = note.get_window_extent(renderer)
        assert panel.get_window_extent(renderer).contains(box.x0, box.y0)
        assert panel.get_window_extent(renderer).contains(box.x1, box.y1)
        for axes in figure.axes:
            for label in (axes.yaxis.label, axes.xaxis.label):
                if label.get_text():
                    assert not box.overlaps(label.get_window_extent(renderer)), label.get_text()
        assert "replicas not sampled: no kubeconfig" in note.get_text()
    finally:
        plt.close(figure)
