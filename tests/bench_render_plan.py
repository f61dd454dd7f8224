"""Render only, as `nox -s bench` measures it against the gate: every entry point with kustomize, then every chart
release once with Helm's engine, in parallel as the gate does. As a command (`python -m tests.bench_render_plan
PLAN`) it imports only what rendering needs: a fresh process that renders, as `invoke validate` is a fresh process
that renders and checks."""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from gitops_toolkit.core.bounded_yaml import load_trusted_yaml
from gitops_toolkit.render.kustomize import RenderLimits, render_all
from gitops_toolkit.tools.helm import RenderRequest, render


@dataclass(frozen=True)
class RenderPlan:
    """What rendering a repository takes: its entry points, and a Helm request per chart release."""

    entries: list[Path]
    requests: list[RenderRequest]

    def to_json(self) -> str:
        requests = [{**vars(request), "archive": str(request.archive)} for request in self.requests]
        return json.dumps({"entries": [str(entry) for entry in self.entries], "requests": requests})

    @classmethod
    def from_json(cls, text: str) -> RenderPlan:
        plan = json.loads(text)
        requests = [
            RenderRequest(**{**r, "archive": Path(r["archive"]), "api_versions": tuple(r["api_versions"])})
            for r in plan["requests"]
        ]
        return cls([Path(entry) for entry in plan["entries"]], requests)


def render_plan(plan: RenderPlan) -> int:
    """Every entry point with kustomize, then every chart release once with Helm's engine, in parallel as the
    gate does; the number of resources the charts rendered."""
    limits = RenderLimits()

    def render_release(request: RenderRequest) -> int:
        return sum(len(load_trusted_yaml(text)) for _, text in render(request))

    render_all(plan.entries, limits)
    with ThreadPoolExecutor(max_workers=limits.jobs) as pool:
        return sum(pool.map(render_release, plan.requests))


if __name__ == "__main__":
    render_plan(RenderPlan.from_json(Path(sys.argv[1]).read_text(encoding="utf-8")))
