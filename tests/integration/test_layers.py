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


@pytest.mark.parametrize(
    ("module", "planted", "contract", "named"),
    [
        (
            "core/versions.py",
            "from gitops_toolkit.gate.pipeline import run_gate",
            "Layers, top to bottom: verb families, the gate, rendering, tools, core",
            "gitops_toolkit.core.versions -> gitops_toolkit.gate.pipeline",
        ),
        (
            "delivery/bump/overlay_images.py",
            "from gitops_toolkit.tools.kustomize import kustomize_build",
            "Only the render layer runs kustomize and Helm's renderer",
            "gitops_toolkit.delivery.bump.overlay_images -> gitops_toolkit.tools.kustomize",
        ),
        (
            "checks/smoke/report.py",
            "import subprocess",
            "External programs run only from tools/",
            "gitops_toolkit.checks.smoke.report -> subprocess",
        ),
    ],
    ids=["upward import", "kustomize outside render", "subprocess outside tools"],
)
def test_a_wrong_import_breaks_its_contract_and_is_named(
    package_copy: Path, module: str, planted: str, contract: str, named: str
) -> None:
    path = package_copy / "gitops_toolkit" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{planted}  # noqa\n", encoding="utf-8")
    completed = lint_imports(package_copy)
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert f"{contract} BROKEN" in completed.stdout
    assert named in completed.stdout
