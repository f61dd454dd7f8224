"""GitLab CI files: every `.gitlab-ci.yml` a commit would carry, and the local files it includes, checked
against GitLab's CI schema (CI-GITLAB-SCHEMA) at the line the schema points at."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gitops_toolkit.core.findings import Finding
from gitops_toolkit.gate.rules.secret_scan import files_to_scan
from gitops_toolkit.render.read.source_files import SourceFiles
from gitops_toolkit.tools.check_jsonschema import gitlab_ci_errors

CI_FILE = ".gitlab-ci.yml"


def _local_includes(data: Any, project: Path) -> list[Path]:
    """The `include: local:` files of a CI file, resolved against its project's root (its directory)."""
    includes = data.get("include") if isinstance(data, dict) else None
    items = includes if isinstance(includes, list) else [includes] if includes else []
    found = []
    for item in items:
        local = item.get("local") if isinstance(item, dict) else item if isinstance(item, str) else None
        if isinstance(local, str) and not local.startswith(("http://", "https://")) and "*" not in local:
            path = (project / local.lstrip("/")).resolve()
            if path.is_file() and path.is_relative_to(project.resolve()):
                found.append(path)
    return found


def ci_files(tree: SourceFiles) -> list[Path]:
    files: list[Path] = []
    for path in sorted(p for p in files_to_scan(tree.root) if p.name == CI_FILE):
        files.append(path)
        for document in tree.documents(path):
            files += [included for included in _local_includes(document.data, path.parent) if included not in files]
    return files


def _line(tree: SourceFiles, path: Path, json_path: str) -> int:
    keys: list[str | int] = [
        int(p) if p.isdigit() else p for p in json_path.removeprefix("$").strip(".").split(".") if p
    ]
    documents = tree.documents(path)
    return documents[0].line_of(keys) if documents else 1


def check_ci_files(tree: SourceFiles) -> list[Finding]:
    files = ci_files(tree)
    try:
        errors = gitlab_ci_errors(files)
    except RuntimeError as error:
        return [Finding(tree.relative(files[0]), 1, "CI-GITLAB-SCHEMA", f"{error}; the CI files were not checked")]
    return [
        Finding(
            tree.relative(error.path),
            _line(tree, error.path, error.json_path) if error.json_path else 1,
            "CI-GITLAB-SCHEMA",
            f"{error.json_path.removeprefix('$.') or 'the file'}: {error.message}; GitLab would refuse the "
            "pipeline (see https://docs.gitlab.com/ci/yaml/)",
        )
        for error in errors
    ]
