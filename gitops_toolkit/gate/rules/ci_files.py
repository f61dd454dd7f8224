"""GitLab CI files as GitLab reads them: every `.gitlab-ci.yml` a commit would carry and the local files it
includes (wildcards expanded, a missing one refused), each document (a `spec:` header, then the configuration)
checked against GitLab's CI schema (CI-GITLAB-SCHEMA) at the line the schema points at. The files are parsed
here, as GitLab's YAML parser reads them (merge keys, several `<<:` in one job included), then handed to the
schema check as plain data."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gitops_toolkit.core.bounded_yaml import YamlDocument, YamlRejected
from gitops_toolkit.core.findings import Finding
from gitops_toolkit.gate.rules.secret_scan import files_to_scan
from gitops_toolkit.render.read.guard import rejection_finding
from gitops_toolkit.render.read.source_files import SourceFiles
from gitops_toolkit.tools.check_jsonschema import gitlab_ci_errors

CI_FILE = ".gitlab-ci.yml"


def _include_items(data: Any) -> Iterator[tuple[int, str]]:
    """(position, local path) of the `include:` entries of a CI document that name a file of the project."""
    includes = data.get("include") if isinstance(data, dict) else None
    items = includes if isinstance(includes, list) else [includes] if includes else []
    for position, item in enumerate(items):
        local = item.get("local") if isinstance(item, dict) else item if isinstance(item, str) else None
        if isinstance(local, str) and not local.startswith(("http://", "https://")):
            yield position, local


class _CiFiles:
    """The CI files of a repository, each with its documents, and what GitLab would refuse about an include."""

    def __init__(self, tree: SourceFiles) -> None:
        self.tree = tree
        self.files: list[Path] = []
        self.findings: list[Finding] = []

    def collect(self) -> None:
        for path in sorted(p for p in files_to_scan(self.tree.root) if p.name == CI_FILE):
            self._add(path, path.parent)

    def _add(self, path: Path, project: Path) -> None:
        if path in self.files:
            return
        self.files.append(path)
        for document in self.tree.documents(path):
            for position, local in _include_items(document.data):
                for included in self._resolve(document, position, local, path, project):
                    self._add(included, project)

    def _resolve(self, document: YamlDocument, position: int, local: str, path: Path, project: Path) -> list[Path]:
        """The files an `include: local:` names (GitLab expands `*` and `**`), or a finding when none exists."""
        root = project.resolve()
        pattern = local.lstrip("/")
        if "*" in pattern:
            found = sorted(p.resolve() for p in root.glob(pattern) if p.is_file())
        else:
            found = [(root / pattern).resolve()] if (root / pattern).is_file() else []
        found = [p for p in found if p.is_relative_to(root)]
        if not found and "*" not in pattern:
            line = (
                document.line_of(["include", position])
                if isinstance(document.data.get("include"), list)
                else (document.line_of(["include"]))
            )
            self.findings.append(
                Finding(
                    self.tree.relative(path),
                    line,
                    "CI-GITLAB-INCLUDE",
                    f'include `{local}` names no file of the project; GitLab refuses the pipeline ("Local file '
                    'does not exist"): fix the path',
                )
            )
        return found


def _pipeline_documents(documents: list[YamlDocument]) -> list[YamlDocument]:
    """The documents GitLab reads: a `spec:` header and the configuration after it, or the one configuration."""
    return documents[:2] if len(documents) == 2 and set(documents[0].data or {}) == {"spec"} else documents[:1]


def check_ci_files(tree: SourceFiles) -> list[Finding]:
    collected = _CiFiles(tree)
    collected.collect()
    findings = list(collected.findings)
    checked: dict[Path, tuple[Path, YamlDocument | None]] = {}  # JSON the schema reads -> its file and document
    with tempfile.TemporaryDirectory(prefix="gitlab-ci-") as workspace:
        for number, path in enumerate(collected.files):
            loaded = tree.load(path)
            if isinstance(loaded, YamlRejected):
                findings.append(rejection_finding(tree.relative(path), loaded))
                continue
            for position, document in enumerate(_pipeline_documents(loaded)):
                data_file = Path(workspace) / f"{number}-{position}.json"
                data_file.write_text(json.dumps(document.data, default=str), encoding="utf-8")
                checked[data_file] = (path, document)
        try:
            errors = gitlab_ci_errors(list(checked))
        except RuntimeError as error:
            return [Finding(tree.relative(collected.files[0]), 1, "CI-GITLAB-SCHEMA", f"{error}; not checked")]
    for problem in errors:
        path, source = checked.get(problem.path, (collected.files[0], None))
        keys: list[str | int] = [
            int(p) if p.isdigit() else p for p in problem.json_path.removeprefix("$").strip(".").split(".") if p
        ]
        findings.append(
            Finding(
                tree.relative(path),
                source.line_of(keys) if source is not None else 1,
                "CI-GITLAB-SCHEMA",
                f"{problem.json_path.removeprefix('$.') or 'the file'}: {problem.message}; GitLab would refuse the "
                "pipeline (see https://docs.gitlab.com/ci/yaml/)",
            )
        )
    return findings
