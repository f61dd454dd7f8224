"""The gates, declarative: each session installs what it needs and calls the library or a tool.

nox -s validate   render and check everything Argo CD would deploy, and lint the YAML
nox -s tests      the whole test suite
nox -s alerts     alert rule unit tests (promtool) and Alertmanager route tests (amtool)
nox -s lint       ruff and mypy on the Python, and the package's layers (import-linter)
nox -s bench      how close the gate stays to the cost of rendering (prints ratios)
"""

from __future__ import annotations

from pathlib import Path

import nox

nox.needs_version = ">=2026.10.20"
nox.options.sessions = ["validate", "tests", "alerts", "lint"]
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True

YAML_TREES = ("gitops-repo", "observability")


@nox.session
def validate(session: nox.Session) -> None:
    """Render and check everything Argo CD would deploy (invoke validate), plus yamllint."""
    session.install("-e", ".")
    session.run("invoke", "validate", *session.posargs)
    session.run("yamllint", "--strict", *[tree for tree in YAML_TREES if Path(tree).is_dir()])


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite, in parallel."""
    session.install("-e", ".[test]")
    # promtool, amtool, Prometheus, Alertmanager; sshd and iproute2 for hosts in network namespaces
    session.run("python", "-m", "gitops_toolkit.tools.system_packages", "--tests")
    session.run("pytest", "-n", "auto", *session.posargs)


@nox.session
def alerts(session: nox.Session) -> None:
    """Alert rule unit tests (promtool) and Alertmanager route tests (amtool)."""
    session.install("-e", ".")
    session.run("python", "-m", "gitops_toolkit.tools.system_packages")
    session.run("invoke", "alerts.test")


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff, mypy, and the layer contracts of pyproject.toml (a module imports only from its layer or below)."""
    session.install("-e", ".[lint]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")
    session.run("lint-imports", "--no-logo")


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Render-only against the full gate, our schema stage against the kubernetes-validate CLI, what one changed
    overlay costs against a full run (fails when a figure misses its target), the bootstrap's plan on 3 hosts
    against 1, and invoke diff against kubectl kustomize of both refs."""
    session.install("-e", ".")
    missed = []
    for bench_module, arguments in (("tests.bench_gate", session.posargs), ("tests.bench_incremental", [])):
        try:
            session.run("python", "-m", bench_module, "--enforce", *arguments)
        except nox.command.CommandFailed:
            missed.append(bench_module)  # the other figures are still printed
    session.run("python", "-m", "tests.bench_bootstrap")
    session.run("python", "-m", "tests.bench_diff")
    if missed:
        session.error(f"a figure missed its target: {', '.join(missed)}")
