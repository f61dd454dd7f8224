"""`nox -s validate` also runs yamllint: the deployable trees pass it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPOSITORY

pytestmark = pytest.mark.integration


def test_yamllint_passes_on_the_deployable_trees() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "yamllint", "--strict", "gitops-repo", "observability"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout
