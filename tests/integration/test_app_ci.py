"""app-repo's GitLab CI, run by gitlab-ci-local in a shell on this machine: a fork of Online Boutique whose last
commit changed two services, a stand-in `buildctl-daemonless.sh` that records what it would build, and a bare
git repository standing in for the platform project on GitLab. Nothing leaves the machine."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import REPOSITORY
from tests.git_repos import git

CI_FILE = REPOSITORY / "app-repo" / ".gitlab-ci.yml"
# Every service the CI knows, as the CI file lists them.
SERVICES = str(yaml.safe_load(CI_FILE.read_text(encoding="utf-8"))["variables"]["SERVICES"]).split()
REGISTRY_IMAGE = "registry.local/shop/online-boutique"
SECRETS = {"CI_REGISTRY_PASSWORD": "registry-s3cret-value", "GITOPS_TOKEN": "gitops-t0ken-value"}
DEV = Path("gitops-repo") / "apps" / "online-boutique" / "overlays" / "dev"


def fork(directory: Path) -> tuple[str, str]:
    """The application repository: the CI files at its root, a Dockerfile per service (cartservice's one level
    down, as upstream has it), then a commit that changes frontend and cartservice. (base SHA, head SHA)"""
    shutil.copytree(REPOSITORY / "app-repo" / "ci", directory / "ci")
    shutil.copy2(CI_FILE, directory / ".gitlab-ci.yml")
    for service in SERVICES:
        context = directory / "src" / service / ("src" if service == "cartservice" else "")
        context.mkdir(parents=True, exist_ok=True)
        (context / "Dockerfile").write_text("FROM scratch\n", encoding="utf-8")
    git(directory, "init", "--quiet", "--initial-branch=main")
    git(directory, "add", ".")
    git(directory, "commit", "--quiet", "-m", "fork")
    git(directory, "remote", "add", "origin", "https://gitlab.local/shop/online-boutique.git")  # never dialled
    (directory / "src" / "frontend" / "main.go").write_text("package main\n", encoding="utf-8")
    (directory / "src" / "cartservice" / "src" / "Program.cs").write_text("class Program {}\n", encoding="utf-8")
    git(directory, "add", ".")
    git(directory, "commit", "--quiet", "-m", "change frontend and cartservice")
    return git(directory, "rev-parse", "HEAD~1").strip(), git(directory, "rev-parse", "HEAD").strip()


def platform_remote(tmp_path: Path) -> Path:
    """The platform project: tasks.py and the application's manifests, in a bare repository."""
    seed = tmp_path / "platform-seed"
    shutil.copytree(
        REPOSITORY / "gitops-repo" / "apps" / "online-boutique", seed / "gitops-repo" / "apps" / "online-boutique"
    )
    shutil.rmtree(seed / "gitops-repo" / "apps" / "online-boutique" / "examples")
    shutil.copy2(REPOSITORY / "tasks.py", seed / "tasks.py")
    git(seed, "init", "--quiet", "--initial-branch=main")
    git(seed, "add", ".")
    git(seed, "commit", "--quiet", "-m", "platform")
    remote = tmp_path / "platform.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    git(seed, "push", "--quiet", str(remote), "main")
    return remote


def test_a_commit_builds_only_its_services_and_pins_them_in_the_dev_overlay(tmp_path: Path) -> None:
    assert shutil.which("gitlab-ci-local"), "python -m gitops_toolkit.tools.system_packages --tests installs it"
    app = tmp_path / "app"
    base, head = fork(app)
    remote = platform_remote(tmp_path)
    stand_ins = tmp_path / "bin"
    stand_ins.mkdir()
    builds = tmp_path / "buildctl.log"
    (stand_ins / "buildctl-daemonless.sh").write_text(f'#!/bin/sh\necho "$@" >> {builds}\n', encoding="utf-8")
    (stand_ins / "buildctl-daemonless.sh").chmod(0o755)
    variables = {
        "CI_COMMIT_BEFORE_SHA": base,
        "CI_REGISTRY": "registry.local",
        "CI_REGISTRY_IMAGE": REGISTRY_IMAGE,
        "CI_REGISTRY_USER": "ci",
        "GITOPS_REPOSITORY_URL": f"file://{remote}",
        **SECRETS,
    }
    command = ["gitlab-ci-local", "--force-shell-executor", "--needs", "bump-dev-overlay"]
    for name, value in variables.items():
        command += ["--variable", f"{name}={value}"]
    environment = {
        **os.environ,
        "HOME": str(tmp_path / "home"),
        "PATH": f"{stand_ins}:{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    (tmp_path / "home").mkdir()
    result = subprocess.run(command, cwd=app, env=environment, capture_output=True, text=True, timeout=600)
    printed = result.stdout + result.stderr
    assert result.returncode == 0, printed[-3000:]
    assert "PASS  detect-changes" in printed and "PASS  bump-dev-overlay" in printed

    built = builds.read_text(encoding="utf-8").splitlines()
    images = sorted(line.split("name=")[1].split(",")[0] for line in built)
    assert images == [f"{REGISTRY_IMAGE}/cartservice:{head}", f"{REGISTRY_IMAGE}/frontend:{head}"]
    for line in built:
        assert f"label:org.opencontainers.image.revision={head}" in line and ",push=true" in line
        assert "--export-cache type=registry" in line and "--import-cache type=registry" in line
    assert "--local context=src/cartservice/src" in next(line for line in built if "cartservice" in line)

    checkout = tmp_path / "platform"
    git(tmp_path, "clone", "--quiet", str(remote), str(checkout))
    overlay = yaml.safe_load((checkout / DEV / "kustomization.yaml").read_text(encoding="utf-8"))
    assert {image["newName"]: image["newTag"] for image in overlay["images"]} == {
        f"{REGISTRY_IMAGE}/cartservice": head,
        f"{REGISTRY_IMAGE}/frontend": head,
    }
    assert f"frontend to {head}" in git(checkout, "log", "-1", "--format=%s")
    assert not any(secret in printed for secret in SECRETS.values()), "a secret was printed"
