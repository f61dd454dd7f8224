"""The package's layers hold (docs/architecture.md): import-linter keeps every contract of pyproject.toml on this
package, and breaks on a copy of it where a module imports upward, naming the import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPOSITORY

pytestmark = pytest.mark.integration

LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports on the package under `root`, with that tree's pyproject.toml (its package first on the path)."""
    environment = dict(os.environ, PYTHONPATH=str(root), COLUMNS="300")  # one import per line
    return subprocess.run(
        [LINT_IMPORTS, str(root / "pyproject.toml"), "--no-cache", "--no-logo"],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    shutil.copytree(
        REPOSITORY / "gitops_toolkit", tmp_path / "gitops_toolkit", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy2(REPOSITORY / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_every_contract_is_kept_on_this_package(package_copy: Path) -> None:
    completed = lint_imports(package_copy)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "0 broken" in completed.stdout


def test_an_upward_import_breaks_the_layers_and_is_named(package_copy: Path) -> None:
    versions = package_copy / "gitops_toolkit" / "core" / "versions.py"
    versions.write_text(
        versions.read_text(encoding="utf-8") + "\nfrom gitops_toolkit.gate.pipeline import run_gate  # noqa\n",
        encoding="utf-8",
    )
    completed = lint_imports(package_copy)
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "Layers, top to bottom: verb families, the gate, rendering, tools, core BROKEN" in completed.stdout
    assert "gitops_toolkit.core.versions -> gitops_toolkit.gate.pipeline" in completed.stdout


def test_running_kustomize_outside_the_render_layer_is_refused(package_copy: Path) -> None:
    overlay_images = package_copy / "gitops_toolkit" / "delivery" / "bump" / "overlay_images.py"
    overlay_images.write_text(
        overlay_images.read_text(encoding="utf-8")
        + "\nfrom gitops_toolkit.tools.kustomize import kustomize_build  # noqa\n",
        encoding="utf-8",
    )
    completed = lint_imports(package_copy)
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "Only the render layer runs kustomize and Helm's renderer BROKEN" in completed.stdout
    assert "gitops_toolkit.delivery.bump.overlay_images -> gitops_toolkit.tools.kustomize" in completed.stdout


def test_a_subprocess_outside_tools_is_refused(package_copy: Path) -> None:
    smoke = package_copy / "gitops_toolkit" / "checks" / "smoke" / "report.py"
    smoke.write_text(smoke.read_text(encoding="utf-8") + "\nimport subprocess  # noqa\n", encoding="utf-8")
    completed = lint_imports(package_copy)
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "External programs run only from tools/ BROKEN" in completed.stdout
    assert "gitops_toolkit.checks.smoke.report -> subprocess" in completed.stdout
