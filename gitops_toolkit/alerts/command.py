"""`invoke alerts.test`: the alert rules' promtool unit tests and Alertmanager's amtool route tests."""

from __future__ import annotations

import sys
from pathlib import Path

from gitops_toolkit.alerts.routing import check_routing
from gitops_toolkit.alerts.rule_tests import run_rule_tests
from gitops_toolkit.core.errors import ToolError


def alerts_test_command(root: Path) -> int:
    try:
        rules_passed, rules_report = run_rule_tests(root)
        config_valid, config_report, routes = check_routing(root)
    except ToolError as error:
        print(f"alerts.test: {error}", file=sys.stderr)
        return 2
    print(rules_report)
    print(config_report)
    for route in routes:
        verdict = "ok  " if route.passed else "FAIL"
        print(
            f"{verdict} {route.labels} -> {', '.join(route.resolved) or '(none)'}"
            + ("" if route.passed else f" (expected {', '.join(route.expected)})")
        )
    passed = rules_passed and config_valid and all(route.passed for route in routes)
    print("alert rules and routes: " + ("all tests passed" if passed else "FAILED"))
    return 0 if passed else 1
