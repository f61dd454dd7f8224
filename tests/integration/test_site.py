"""`invoke site`: one command sets the repository URL, domain and LAN range everywhere, or changes nothing."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from gitops_toolkit.alerts.site import current_settings
from tests.conftest import REPOSITORY, invoke, nox_validate

pytestmark = pytest.mark.integration


@pytest.fixture
def site_copy(repository_copy: Path) -> Path:
    shutil.copy2(REPOSITORY / "README.md", repository_copy / "README.md")
    shutil.copytree(REPOSITORY / "app-repo", repository_copy / "app-repo")
    return repository_copy


def fingerprint(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()
    }


def test_site_settings_change_everywhere_and_the_gate_still_passes(site_copy: Path) -> None:
    completed = invoke(
        site_copy,
        "site",
        "--repository-url",
        "https://git.example.org/ops/platform.git",
        "--domain",
        "lab.example.org",
        "--lan-range",
        "10.0.10.200-10.0.10.220",
    )
    assert completed.returncode == 0, completed.stderr
    settings = current_settings(site_copy)
    assert (settings.repository_url, settings.domain, settings.lan_range) == (
        "https://git.example.org/ops/platform.git",
        "lab.example.org",
        "10.0.10.200-10.0.10.220",
    )
    gitops = "\n".join(p.read_text(encoding="utf-8") for p in (site_copy / "gitops-repo").rglob("*.yaml"))
    assert "platform.internal" not in gitops and "gitlab.local/platform/gitops-repo" not in gitops
    assert "shop.lab.example.org" in gitops and "argocd.lab.example.org" in gitops
    for tree in ("observability", "app-repo"):
        for path in (site_copy / tree).rglob("*"):
            if path.is_file():
                assert "gitlab.local/platform/gitops-repo" not in path.read_text(encoding="utf-8"), path
    rules = (site_copy / "observability" / "rules" / "nodes.yaml").read_text(encoding="utf-8")
    assert "runbook_url: https://git.example.org/ops/platform/-/blob/main/docs/runbooks/NodeMemoryPressure.md" in rules
    pipeline = (site_copy / "app-repo" / ".gitlab-ci.yml").read_text(encoding="utf-8")
    assert "GITOPS_REPOSITORY_URL: https://git.example.org/ops/platform.git" in pipeline
    assert nox_validate(site_copy) == ""
    alert_tests = invoke(site_copy, "alerts.test")  # promtool compares the runbook links the rules now carry
    assert alert_tests.returncode == 0, alert_tests.stdout + alert_tests.stderr


@pytest.mark.parametrize(
    ("option", "value", "reason"),
    [
        ("--domain", "not a domain", "is not a DNS name"),
        ("--lan-range", "192.168.1.250-192.168.1.240", "ends before it starts"),
        ("--repository-url", "gitlab.local/platform.git", "must start with https://"),
    ],
)
def test_bad_site_settings_change_nothing(site_copy: Path, option: str, value: str, reason: str) -> None:
    before = fingerprint(site_copy)
    completed = invoke(site_copy, "site", option, value)
    assert completed.returncode == 2
    assert reason in completed.stderr and "Traceback" not in completed.stderr
    assert fingerprint(site_copy) == before
