"""Helm values checked against the chart that reads them: a key the chart's defaults (its subcharts' included)
do not have is a typo Helm ignores silently; merged values must pass the chart's values.schema.json."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from gitops_toolkit.core.findings import Finding
from gitops_toolkit.render.charts.releases import ChartRelease
from gitops_toolkit.tools.helm_engine import ChartFacts

KeyPath = tuple[str, ...]


def _schema_properties(schema: Any) -> dict[str, Any]:
    properties = schema.get("properties") if isinstance(schema, dict) else None
    return properties if isinstance(properties, dict) else {}


def unknown_keys(
    ours: dict[str, Any],
    defaults: Any,
    schema: Any,
    free_form: frozenset[str],
    path: KeyPath = (),
    template_reads: frozenset[str] = frozenset(),
) -> Iterator[tuple[KeyPath, list[str]]]:
    """(key path, the keys the chart has there) for every key of `ours` the chart does not know. Beneath a
    default that is empty or null, a key the schema declares, a key a template reads (often commented out in
    the defaults, as Helm reads it all the same) and a path listed as free-form, anything goes."""
    if not isinstance(defaults, dict) or not defaults or ".".join(path) in free_form:
        return
    declared = _schema_properties(schema)
    for key, value in ours.items():
        key_path = (*path, str(key))
        if key in defaults:
            if isinstance(value, dict):
                yield from unknown_keys(value, defaults[key], declared.get(key), free_form, key_path, template_reads)
        elif key in declared or (not path and key == "global") or ".".join(key_path) in template_reads:
            continue
        else:
            yield key_path, sorted(map(str, defaults))


def check_values(release: ChartRelease, facts: ChartFacts, free_form: frozenset[str]) -> list[Finding]:
    findings = []
    chart = f"{facts.name} {facts.version}"
    for layer in release.layers:
        for key_path, known in unknown_keys(
            layer.data, facts.defaults, facts.schema, free_form | facts.whole_reads, template_reads=facts.template_reads
        ):
            nearest = difflib.get_close_matches(key_path[-1], known, n=1, cutoff=0.6)
            hint = f"did you mean `{'.'.join((*key_path[:-1], nearest[0]))}`?" if nearest else "remove it"
            findings.append(
                Finding(
                    layer.where,
                    layer.line_of(key_path),
                    "CHART-VALUES-UNKNOWN-KEY",
                    f"`{'.'.join(key_path)}` is not a value of chart {chart}, so Helm ignores it: {hint} (a map the "
                    f"chart reads whole goes in free-form-values as `{facts.name}:{'.'.join(key_path[:-1])}`)",
                    release.application.ref,
                )
            )
    return findings
