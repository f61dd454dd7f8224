"""Stage 2: reject what could hang, crash, read outside the repository or reach the network, before
anything runs. Each problem is a finding; an entry point whose files have one is not rendered (one that only
names a remote resource is not rendered either: the gate works offline)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from gitops_toolkit.core.bounded_yaml import UNSAFE_RULES, YamlRejected, check_size
from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.tree_walk import walk_tree
from gitops_toolkit.render.read.kustomization import Kustomization, KustomizationIndex, Reference
from gitops_toolkit.render.read.source_files import SourceFiles, is_yaml


class FileRole(Enum):
    """How a file is read: as Kubernetes objects (must parse), as text (a generator input: size only), or
    unknown (a file found under the roots that nothing names: only what is wrong anywhere is reported)."""

    OBJECTS = "objects"
    TEXT = "text"
    ANY = "any"


# What is wrong with a YAML file wherever it sits; the rest (syntax, size, encoding) matters only for a file
# kustomize or Argo CD loads: a Helm template, a doc or a large data file need not be what kustomize parses.
_ANYWHERE_RULES = UNSAFE_RULES | {"GUARD-YAML-DUPLICATE-KEY"}


def is_helm_template(path: Path) -> bool:
    """A file under a chart's templates/: Go template text, not YAML."""
    return any(parent.name == "templates" and (parent.parent / "Chart.yaml").is_file() for parent in path.parents)


def rejection_finding(relative: str, rejected: YamlRejected) -> Finding:
    return Finding(relative, rejected.line or 1, rejected.rule, rejected.message)


@dataclass
class GuardResult:
    findings: list[Finding] = field(default_factory=list)
    # entry points kept from rendering, each with the first finding that keeps it
    blocked: dict[Path, Finding] = field(default_factory=dict)
    # entry points whose only finding is a remote resource: Argo CD fetches it, the gate (offline) does not
    remote: set[Path] = field(default_factory=set)
    # every kustomization each entry point uses, the entry's own first
    closures: dict[Path, list[Kustomization]] = field(default_factory=dict)
    # the files kustomize loads as objects (resources, patches, components' files)
    object_files: set[Path] = field(default_factory=set)


@dataclass
class _Guard:
    tree: SourceFiles
    index: KustomizationIndex
    file_findings: dict[tuple[Path, FileRole], Finding | None] = field(default_factory=dict)
    kustomization_results: dict[Path, tuple[list[Finding], list[Path]]] = field(default_factory=dict)

    def inside_repository(self, path: Path) -> bool:
        return self.tree.real_path(path).is_relative_to(self.tree.root)

    def check_file(self, path: Path, role: FileRole = FileRole.ANY) -> Finding | None:
        """Encoding, size and YAML safety of one file (memoised per role)."""
        key = (Path(os.path.abspath(path)), role)
        if key not in self.file_findings:
            self.file_findings[key] = self._file_problem(key[0], role)
        return self.file_findings[key]

    def _file_problem(self, path: Path, role: FileRole) -> Finding | None:
        relative = self.tree.relative(path)
        if path.is_symlink() and not self.inside_repository(path):
            return Finding(
                relative,
                1,
                "GUARD-PATH-ESCAPE",
                f"symlink points outside the repository (to {os.path.realpath(path)}); "
                "copy the file into the repository instead",
            )
        if not path.exists():
            return Finding(relative, 1, "GUARD-MISSING-FILE", "broken symlink; point it at an existing file")
        if path.is_dir():
            return None
        try:
            if is_yaml(path) and role is not FileRole.TEXT:
                loaded = self.tree.load(path)
                if isinstance(loaded, YamlRejected) and (role is FileRole.OBJECTS or loaded.rule in _ANYWHERE_RULES):
                    raise loaded
            elif role is FileRole.TEXT:
                check_size(path, self.tree.limits)
        except YamlRejected as rejected:
            return rejection_finding(relative, rejected)
        return None

    def check_kustomization(self, kustomization: Kustomization) -> tuple[list[Finding], list[Path]]:
        """Findings of one kustomization's references, and the directories it composes (memoised)."""
        if kustomization.file not in self.kustomization_results:
            self.kustomization_results[kustomization.file] = self._kustomization_problems(kustomization)
        return self.kustomization_results[kustomization.file]

    def _kustomization_problems(self, kustomization: Kustomization) -> tuple[list[Finding], list[Path]]:
        directories: list[Path] = []
        findings: list[Finding] = []
        where = self.tree.relative(kustomization.file)
        for helm in kustomization.helm_fields:
            findings.append(
                Finding(
                    where,
                    helm.line,
                    "GUARD-HELM-INFLATION",
                    f"`{helm.field}` makes kustomize download and inflate a Helm chart; "
                    "deploy the chart with an Argo CD Application instead",
                )
            )
        for reference in kustomization.references:
            problem, target = self._reference_problem(kustomization, reference)
            if problem is not None:
                findings.append(Finding(where, reference.line, *problem))
            elif target is not None and target.is_dir():
                directories.append(target)
            elif target is not None:
                file_problem = self.check_file(
                    target, FileRole.OBJECTS if reference.declares_objects else FileRole.TEXT
                )
                if file_problem is not None:
                    findings.append(file_problem)
        return findings, directories

    def _reference_problem(
        self, kustomization: Kustomization, reference: Reference
    ) -> tuple[tuple[str, str] | None, Path | None]:
        named = f"{reference.field} `{reference.value}`"
        if reference.is_remote:
            return (
                "GUARD-REMOTE-RESOURCE",
                f"{named} is remote: Argo CD's repo-server fetches it, the gate works offline and does not, so "
                "what this kustomization renders is not checked; vendor it into the repository to have it checked",
            ), None
        if Path(reference.value).is_absolute():
            return (
                "GUARD-PATH-ESCAPE",
                f"{named} is an absolute path; use a path relative to {self.tree.relative(kustomization.directory)}",
            ), None
        target = kustomization.directory / reference.value
        if not self.inside_repository(target):
            return (
                "GUARD-PATH-ESCAPE",
                f"{named} resolves outside the repository (to "
                f"{os.path.realpath(target)}); keep every input inside the repository",
            ), None
        if not target.exists():
            return ("GUARD-MISSING-FILE", f"{named} does not exist; fix the path or add the file"), None
        if target.is_dir() and self.index.get(target) is None:
            return (
                "GUARD-MISSING-FILE",
                f"{named} is a directory without a kustomization.yaml; add one or name the files instead",
            ), None
        return None, target

    def closure(self, entry: Path) -> tuple[list[Kustomization], list[Finding]]:
        """Every kustomization the entry point uses, checked with the files they name; the findings any of
        them has."""
        stack, seen, problems = [entry], set(), []
        closure: list[Kustomization] = []
        while stack:
            directory = stack.pop()
            if directory in seen:
                continue
            seen.add(directory)
            kustomization = self.index.get(directory)
            if kustomization is None:
                continue
            closure.append(kustomization)
            kustomization_problem = self.check_file(kustomization.file, FileRole.OBJECTS)
            findings, directories = self.check_kustomization(kustomization)
            problems += findings
            if kustomization_problem is not None:
                problems.append(kustomization_problem)
            stack.extend(self.tree.real_path(target) for target in reversed(directories))
        return closure, problems


def guard(
    tree: SourceFiles,
    index: KustomizationIndex,
    roots: Iterable[Path],
    entries: list[Path],
    cyclic: frozenset[Path] = frozenset(),
) -> GuardResult:
    checker = _Guard(tree, index)
    for directory, subdirectories, files in walk_tree(roots, tree.excluded):
        for name in subdirectories:
            if (directory / name).is_symlink():
                checker.check_file(directory / name)
        for name in files:
            checker.check_file(directory / name, FileRole.TEXT if is_helm_template(directory / name) else FileRole.ANY)
    result = GuardResult()
    for entry in entries:
        result.closures[entry], problems = checker.closure(entry)
        on_cycle = [k for k in result.closures[entry] if tree.real_path(k.directory) in cyclic]
        if on_cycle:
            where = tree.relative(on_cycle[0].file)
            problems.append(Finding(where, 1, "GUARD-KUSTOMIZATION-CYCLE", "uses itself through its resources"))
        blocking = [problem for problem in problems if problem.rule != "GUARD-REMOTE-RESOURCE"]
        if blocking:
            result.blocked[entry] = blocking[0]
        elif problems:
            result.remote.add(entry)
    result.object_files = {path for path, role in checker.file_findings if role is FileRole.OBJECTS and is_yaml(path)}
    findings = [finding for finding in checker.file_findings.values() if finding is not None]
    for kustomization_findings, _ in checker.kustomization_results.values():
        findings.extend(kustomization_findings)
    result.findings = findings
    return result
