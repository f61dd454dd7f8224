"""Shared test helpers: small trees written on the fly, copies of this repository, and the real gate."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gitops_toolkit.gate.pipeline import GateOptions, GateResult, run_gate

REPOSITORY = Path(__file__).resolve().parent.parent
VENDORED_CRDS = REPOSITORY / "gitops-repo" / "crds"
# What a copy of the repository needs for `invoke validate` to run in it.
_COPIED = ("tasks.py", "gitops-repo", "observability", "platform", "pyproject.toml", "docs", ".yamllint.yaml")
# The trees `nox -s validate` lints with yamllint after `invoke validate` (noxfile.py's YAML_TREES).
YAML_TREES = ("gitops-repo", "observability")
# A Deployment `web` with a pinned image from registry.example, for trees a test writes.
PINNED_DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: registry.example/web@sha256:0000000000000000000000000000000000000000000000000000000000000000
"""


@pytest.fixture
def write_tree(tmp_path: Path) -> Callable[[dict[str, str | bytes]], Path]:
    """Write {relative path: content} under a fresh root and return the root."""

    def write(files: dict[str, str | bytes]) -> Path:
        for relative, content in files.items():
            path = tmp_path / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return tmp_path

    return write


@pytest.fixture
def repository_copy(tmp_path: Path) -> Path:
    """A copy of this repository's deployable tree and tasks.py, to plant defects in."""
    copy = tmp_path / "repository"
    copy.mkdir()
    for name in _COPIED:
        source = REPOSITORY / name
        if source.is_dir():
            shutil.copytree(source, copy / name, symlinks=True)
        elif source.is_file():
            shutil.copy2(source, copy / name)
    return copy


def gate(root: Path, *crd_dirs: Path) -> GateResult:
    return run_gate(GateOptions(root=root, crd_dirs=tuple(crd_dirs)))


def reported(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A JSON report's findings without the suppressions it lists: the repository's own (GATE-SUPPRESSED, with
    their reasons) are decisions, not findings."""
    return [finding for finding in findings if finding["rule"] != "GATE-SUPPRESSED"]


def rules_at(result: GateResult) -> set[tuple[str, str]]:
    """(rule, path) of every finding: what a person would read in the report."""
    return {(finding.rule, finding.path) for finding in result.findings}


# The tools' caches for the whole test run: shared between tests (warm), never the user's own.
TEST_CACHE = Path(tempfile.mkdtemp(prefix="gitops-toolkit-test-cache-"))


INVOKE = str(Path(sys.executable).parent / "invoke")


def invoke(
    root: Path,
    *arguments: str,
    timeout: float = 120,
    cache: Path = TEST_CACHE,
    environment_overrides: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """An invoke task run the way a person runs it, from `root` (pass `--search-root` to use this repository's
    tasks from elsewhere)."""
    command = [INVOKE, *arguments]
    environment = dict(os.environ, XDG_CACHE_HOME=str(cache), **(environment_overrides or {}))
    return subprocess.run(
        command, cwd=root, capture_output=True, text=True, timeout=timeout, env=environment, check=False
    )


def example_inventory(directory: Path, extra: str = "") -> Path:
    """platform/inventory.example.yaml as an operator fills it in: their SSH key and the hosts' recorded keys in
    files of `directory`, plus `extra` settings."""
    (directory / "id").write_text("key\n", encoding="utf-8")
    (directory / "known_hosts").write_text("", encoding="utf-8")
    text = (REPOSITORY / "platform" / "inventory.example.yaml").read_text(encoding="utf-8")
    text = text.replace("~/.ssh/id_ed25519", str(directory / "id"))
    text = text.replace("knownHostsFile: platform/known_hosts", f"knownHostsFile: {directory / 'known_hosts'}")
    if "registry:" in extra:  # another registry than the platform host's: an inventory without that host
        dropped = ("platform", "registryPort", "  domain:")
        text = "".join(line for line in text.splitlines(keepends=True) if not any(d in line for d in dropped))
    path = directory / "inventory.yaml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def python_module(*arguments: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`python -m ...` from the repository root, as a person or a Nox session runs it."""
    command = [sys.executable, "-m", *arguments]
    return subprocess.run(command, cwd=REPOSITORY, capture_output=True, text=True, timeout=timeout, check=False)


def invoke_validate(root: Path, *arguments: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return invoke(root, "validate", *arguments, timeout=timeout)


def nox_validate(root: Path) -> str:
    """What `nox -s validate` says of `root` when it fails (`invoke validate`, then yamllint), "" when it passes."""
    validated = invoke_validate(root)
    if validated.returncode != 0:
        return validated.stdout + validated.stderr
    command = [sys.executable, "-m", "yamllint", "--strict", *YAML_TREES]
    linted = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=300, check=False)
    return "" if linted.returncode == 0 else linted.stdout + linted.stderr
