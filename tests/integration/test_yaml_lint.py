"""`nox -s validate` also runs yamllint: the deployable trees pass it."""

from __future__ import annotations

import pytest

from tests.conftest import python_module

pytestmark = pytest.mark.integration


def test_yamllint_passes_on_the_deployable_trees() -> None:
    completed = python_module("yamllint", "--strict", "gitops-repo", "observability")
    assert completed.returncode == 0, completed.stdout
