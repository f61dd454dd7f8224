"""Helm 4's Go SDK, loaded in-process through helm-python-sdk (no helm binary needed), and what every Helm
wrapper shares (its error type, what a chart declares). helm.py renders and inspects charts; helm_pull.py
downloads them."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any

from gitops_toolkit.core.errors import ToolError


class HelmError(ToolError):
    """Helm could not load, check or render a chart; the message is Helm's, on one line."""


@dataclass(frozen=True)
class ChartFacts:
    """What a chart declares: its default values and the schema it ships (or None)."""

    name: str
    version: str
    defaults: dict[str, Any]
    schema: dict[str, Any] | None
    crd_texts: tuple[str, ...] = field(default=())  # its crds/ files and its subcharts'
    api_versions: tuple[str, ...] = field(default=())  # group/version its CRDs serve (filled by the gate)
    # Templates (as the render names them) that render only for API versions the cluster serves.
    capability_gated: frozenset[str] = field(default=frozenset())
    # Whether any template (subcharts' included) calls a function whose result changes between renders.
    may_vary: bool = True
    # Dotted values paths its templates read (`.Values.rbac.useExistingRole` of subchart grafana is
    # "grafana.rbac.useExistingRole"), with every prefix: keys a chart reads without a default.
    template_reads: frozenset[str] = field(default=frozenset())
    whole_reads: frozenset[str] = field(default=frozenset())  # maps its templates write out whole (toYaml)


def one_line(error: Exception) -> str:
    text = " ".join(str(error).split())
    return text[:600] + ("…" if len(text) > 600 else "")


def engine_loaded() -> bool:
    """Whether this process has loaded Helm's engine. Go's runtime does not survive a fork (the child keeps only
    the forking thread): a forked child may use Helm only if its parent had not loaded it."""
    return "helm_python._native" in sys.modules


def sdk() -> Any:
    # Go reads GOGC once, when its runtime starts with the library: collecting at a quarter of the default pace
    # saves a quarter of the engine's CPU time on a big chart, for some tens of MiB (a person's own GOGC wins).
    os.environ.setdefault("GOGC", "400")
    try:
        import helm_python
    except ImportError as error:  # the wheel carries a native library for linux x86_64/arm64 only
        raise HelmError(
            f"Helm's engine (helm-python-sdk) cannot load here ({error}); install it with `pip install -e .` "
            "or run the gate with `--helm PATH` to use a helm binary"
        ) from None
    return helm_python
