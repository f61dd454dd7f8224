"""The alert rules as Prometheus loads them: observability/rules rendered, each PrometheusRule's spec
written as a plain rule file; and their unit tests (observability/rule-tests), run with promtool."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import yaml

from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.render.single_source import RenderError, render_kustomization
from gitops_toolkit.tools.promtool import test_rule_files

RULES = Path("observability/rules")
RULE_TESTS = Path("observability/rule-tests")


def rule_file_name(prometheus_rule_name: str) -> str:
    return f"{prometheus_rule_name}.rules.yaml"


def write_rule_files(root: Path, destination: Path) -> list[Path]:
    """One plain rule file per PrometheusRule of observability/rules, named <name>.rules.yaml."""
    try:
        rendered = render_kustomization(root / RULES)
    except RenderError as error:
        raise ToolError(f"{RULES}: {error}") from None
    files = []
    for obj in rendered:
        if isinstance(obj, dict) and obj.get("kind") == "PrometheusRule":
            path = destination / rule_file_name(str(obj["metadata"]["name"]))
            path.write_text(yaml.safe_dump(obj.get("spec") or {}, sort_keys=False), encoding="utf-8")
            files.append(path)
    return files


def run_rule_tests(root: Path) -> tuple[bool, str]:
    """Run every test file of observability/rule-tests against the rules; (passed, promtool's report)."""
    tests = sorted((root / RULE_TESTS).glob("*.yaml"))
    if not tests:
        raise ToolError(f"no rule tests in {RULE_TESTS}")
    with tempfile.TemporaryDirectory(prefix="alert-rule-tests-") as workspace:
        directory = Path(workspace)
        write_rule_files(root, directory)
        for test in tests:
            shutil.copy2(test, directory / test.name)
        completed = test_rule_files(directory, [test.name for test in tests])
    return completed.returncode == 0, (completed.stdout + completed.stderr).strip()
