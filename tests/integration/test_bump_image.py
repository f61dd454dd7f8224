"""`invoke bump-image` and `invoke promote` as CI and people run them, on real git checkouts of a bare remote
standing in for GitLab: bumps that race both land, the overlay still passes the gate, bad tags write nothing."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import INVOKE, REPOSITORY
from tests.conftest import invoke as run_task
from tests.git_repos import git

APP = Path("gitops-repo") / "apps" / "online-boutique"
DEV = APP / "overlays" / "dev"
SHA_A, SHA_B = "1a2b3c4d" * 5, "5e6f7a8b" * 5


def invoke(cwd: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return run_task(cwd, "--search-root", str(REPOSITORY), *arguments)


def pins(checkout: Path, overlay: Path = DEV) -> dict[str, str]:
    data = yaml.safe_load((checkout / overlay / "kustomization.yaml").read_text(encoding="utf-8"))
    return {
        image["name"].rsplit("/", 1)[-1]: image.get("newTag") or image.get("digest") for image in data.get("images", [])
    }


@pytest.fixture
def clone(tmp_path: Path) -> Callable[[str], Path]:
    """A bare remote holding the application's manifests, and a function that clones it."""
    seed = tmp_path / "seed"
    shutil.copytree(REPOSITORY / APP, seed / APP, ignore=shutil.ignore_patterns("examples"))
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", "remote.git")
    git(seed, "init", "--quiet", "--initial-branch=main")
    git(seed, "add", ".")
    git(seed, "commit", "--quiet", "-m", "seed")
    git(seed, "push", "--quiet", str(tmp_path / "remote.git"), "main")

    def make(name: str) -> Path:
        git(tmp_path, "clone", "--quiet", str(tmp_path / "remote.git"), name)
        checkout = tmp_path / name
        git(checkout, "config", "user.name", f"CI {name}")
        git(checkout, "config", "user.email", f"{name}@example.invalid")
        return checkout

    return make


def test_two_racing_bumps_both_land_without_a_merge_commit(clone: Callable[[str], Path], tmp_path: Path) -> None:
    first, second = clone("first"), clone("second")
    # The remote takes its time, as GitLab does: both pushes are in flight at once, and one is turned away.
    hook = tmp_path / "remote.git" / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\ncat >/dev/null\nsleep 1\n", encoding="utf-8")
    hook.chmod(0o755)
    bumps = [
        subprocess.Popen(
            [
                INVOKE,
                "--search-root",
                str(REPOSITORY),
                "bump-image",
                "--overlay",
                str(checkout / DEV),
                "--set",
                f"{service}={sha}",
                "--push",
            ],
            cwd=checkout,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for checkout, service, sha in ((first, "frontend", SHA_A), (second, "cartservice", SHA_B))
    ]
    outputs = [bump.communicate(timeout=120) for bump in bumps]
    assert [bump.returncode for bump in bumps] == [0, 0], outputs
    assert any("(2 attempt(s))" in out for out, _ in outputs), outputs  # one of them had to re-apply
    final = clone("final")
    assert pins(final) == {"frontend": SHA_A, "cartservice": SHA_B}
    assert git(final, "rev-list", "--merges", "HEAD") == ""
    messages = git(final, "log", "--format=%s").splitlines()
    assert len(messages) == 3 and any(f"frontend to {SHA_A}" in m for m in messages)


def test_bad_tags_and_unknown_services_write_nothing(clone: Callable[[str], Path]) -> None:
    checkout = clone("work")
    before = (checkout / DEV / "kustomization.yaml").read_bytes()
    for bad in ("frontend=latest", f"nosuchservice={SHA_A}", "frontend=v1"):
        result = invoke(checkout, "bump-image", "--overlay", str(checkout / DEV), "--set", bad, "--commit")
        assert result.returncode == 2, result
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert (checkout / DEV / "kustomization.yaml").read_bytes() == before
    assert git(checkout, "status", "--porcelain") == ""


def test_a_bumped_overlay_still_passes_the_gate(repository_copy: Path) -> None:
    """As app-repo's CI bumps it: the image now comes from the platform's registry, pulled with registry-pull."""
    overlay = str(repository_copy / DEV)
    registry = "registry.local:5050/platform/app-repo"  # $CI_REGISTRY_IMAGE of app-repo on the platform host
    result = invoke(
        repository_copy, "bump-image", "--overlay", overlay, "--registry", registry, "--set", f"frontend={SHA_A}"
    )
    assert result.returncode == 0 and f"frontend: (the base's) -> {SHA_A}" in result.stdout, result
    assert f"newName: {registry}/frontend" in (repository_copy / DEV / "kustomization.yaml").read_text()
    gate = invoke(repository_copy, "validate", "--root", str(repository_copy))
    assert gate.returncode == 0, gate.stdout[-2000:]
    again = invoke(
        repository_copy, "bump-image", "--overlay", overlay, "--registry", registry, "--set", f"frontend={SHA_A}"
    )
    assert again.returncode == 0 and "nothing to change" in again.stdout


def test_promote_copies_the_tags_to_prod_on_a_branch(clone: Callable[[str], Path]) -> None:
    checkout = clone("work")
    bumped = invoke(checkout, "bump-image", "--overlay", str(checkout / DEV), "--set", f"frontend={SHA_A}", "--push")
    assert bumped.returncode == 0, bumped
    result = invoke(checkout, "promote", "--from", "dev", "--to", "prod", "--root", str(checkout), "--push")
    assert result.returncode == 0, result
    branch = git(checkout, "branch", "--show-current").strip()
    assert branch.startswith("promote/dev-to-prod-") and branch in result.stdout
    assert pins(checkout, APP / "overlays" / "prod")["frontend"] == SHA_A
    assert git(checkout, "ls-remote", "origin", branch).strip(), "the branch was not pushed"
    assert git(checkout, "rev-parse", "origin/main") == git(checkout, "rev-parse", "HEAD~1"), "main was touched"


def test_a_tag_with_a_trailing_newline_is_refused(clone: Callable[[str], Path]) -> None:
    checkout = clone("work")
    before = (checkout / DEV / "kustomization.yaml").read_bytes()
    result = invoke(checkout, "bump-image", "--overlay", str(checkout / DEV), "--set", f"frontend={SHA_A}\n")
    assert result.returncode == 2 and "newline" in result.stderr, result
    assert (checkout / DEV / "kustomization.yaml").read_bytes() == before


def test_without_a_git_identity_the_tool_commits_as_itself(clone: Callable[[str], Path], tmp_path: Path) -> None:
    checkout = clone("anonymous")
    git(checkout, "config", "--unset", "user.name")
    git(checkout, "config", "--unset", "user.email")
    home = tmp_path / "empty-home"
    home.mkdir()
    nobody = {"HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1", "XDG_CONFIG_HOME": str(home)}
    arguments = ("bump-image", "--overlay", str(checkout / DEV), "--set", f"frontend={SHA_A}", "--commit")
    result = run_task(checkout, "--search-root", str(REPOSITORY), *arguments, environment_overrides=nobody)
    assert result.returncode == 0, result
    assert (
        git(checkout, "log", "-1", "--format=%an <%ae>").strip() == "gitops-toolkit <gitops-toolkit@localhost.invalid>"
    )


def test_a_commit_git_refuses_leaves_the_tree_as_it_was(clone: Callable[[str], Path]) -> None:
    checkout = clone("hooked")
    hook = checkout / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'commits are closed today' >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    before = (checkout / DEV / "kustomization.yaml").read_bytes()
    result = invoke(checkout, "bump-image", "--overlay", str(checkout / DEV), "--set", f"frontend={SHA_A}", "--commit")
    assert result.returncode == 1 and "the edit was undone" in result.stderr, result
    assert (checkout / DEV / "kustomization.yaml").read_bytes() == before
    assert git(checkout, "status", "--porcelain") == ""
    hook.unlink()  # and the retry is not refused as "uncommitted changes"
    again = invoke(checkout, "bump-image", "--overlay", str(checkout / DEV), "--set", f"frontend={SHA_A}", "--commit")
    assert again.returncode == 0, again


def test_promote_from_a_detached_head_returns_there(clone: Callable[[str], Path]) -> None:
    checkout = clone("ci")
    for overlay in (DEV, APP / "overlays" / "prod"):  # both already pin the tag: nothing to promote
        bumped = invoke(
            checkout, "bump-image", "--overlay", str(checkout / overlay), "--set", f"frontend={SHA_A}", "--commit"
        )
        assert bumped.returncode == 0, bumped
    head = git(checkout, "rev-parse", "HEAD").strip()
    git(checkout, "switch", "--quiet", "--detach", head)
    result = invoke(checkout, "promote", "--from", "dev", "--to", "prod", "--root", str(checkout))
    assert result.returncode == 0 and "nothing to promote" in result.stdout, result
    assert git(checkout, "rev-parse", "HEAD").strip() == head
    assert git(checkout, "branch", "--show-current").strip() == ""  # still detached
    assert "promote/" not in git(checkout, "branch", "--list")
