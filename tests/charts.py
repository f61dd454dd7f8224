"""Small charts of our own for the tests, packaged with Helm's own packager (the real engine)."""

from __future__ import annotations

from pathlib import Path

import helm_python

_CONFIG_MAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
data:
  greeting: {{ .Values.greeting | quote }}
  marker: MARKER
"""


def write_chart(directory: Path, name: str, version: str, templates: dict[str, str], values: str = "") -> Path:
    """A chart source directory: Chart.yaml, values.yaml and the given templates (name -> text)."""
    chart = directory / name
    (chart / "templates").mkdir(parents=True, exist_ok=True)
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: {version}\n", encoding="utf-8")
    (chart / "values.yaml").write_text(values, encoding="utf-8")
    for template, text in templates.items():
        (chart / "templates" / template).write_text(text, encoding="utf-8")
    return chart


def package_chart(name: str, version: str, destination: Path, marker: str = "first") -> bytes:
    """The archive of a one-ConfigMap chart; `marker` changes its content (a re-published chart)."""
    source = write_chart(
        destination / "source" / marker,
        name,
        version,
        {"configmap.yaml": _CONFIG_MAP.replace("MARKER", marker)},
        "greeting: hello\n",
    )
    archive = helm_python.package(source, destination=destination / marker)
    return Path(archive).read_bytes()
