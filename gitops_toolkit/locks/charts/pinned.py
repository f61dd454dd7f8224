"""Which chart versions the Applications pin: every Application manifest under gitops-repo/ read as a file
(a source with `chart:` names the repository, the chart and its exact version)."""

from __future__ import annotations

from pathlib import Path

from gitops_toolkit.core.bounded_yaml import YamlRejected, load_yaml_file
from gitops_toolkit.core.tree_walk import walk_tree
from gitops_toolkit.locks.charts.fetch import PinnedChart
from gitops_toolkit.render.charts.lock import ARCHIVE_DIRECTORY
from gitops_toolkit.render.crds.lock import VENDORED_DIRECTORY

APPLICATIONS_ROOT = Path("gitops-repo")


def pinned_charts(root: Path) -> list[PinnedChart]:
    pinned: dict[tuple[str, str, str], PinnedChart] = {}
    skipped = frozenset({(root / ARCHIVE_DIRECTORY).resolve(), (root / VENDORED_DIRECTORY).resolve()})
    for directory, _, files in walk_tree([(root / APPLICATIONS_ROOT).resolve()], skipped):
        for name in files:
            if not name.endswith((".yaml", ".yml")):
                continue
            path = directory / name
            try:
                documents = load_yaml_file(path)
            except (YamlRejected, OSError, UnicodeDecodeError):
                continue  # the gate reports files it cannot read
            for document in documents:
                data = document.data if isinstance(document.data, dict) else {}
                if data.get("kind") != "Application" or not str(data.get("apiVersion", "")).startswith("argoproj.io/"):
                    continue
                spec = data.get("spec")
                spec = spec if isinstance(spec, dict) else {}
                sources = [spec.get("source"), *(spec.get("sources") or [])]
                for source in (s for s in sources if isinstance(s, dict) and s.get("chart")):
                    chart = PinnedChart(
                        str(source["chart"]),
                        str(source.get("targetRevision", "")),
                        str(source.get("repoURL", "")).rstrip("/"),
                        f"{path.relative_to(root.resolve())}:{document.line}",
                    )
                    pinned.setdefault((chart.repository.lower(), chart.name, chart.version), chart)
    return sorted(pinned.values(), key=lambda chart: (chart.name, chart.version))
