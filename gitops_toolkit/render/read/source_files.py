"""The repository's YAML files, each read and checked once per run and shared by every stage."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from gitops_toolkit.core.bounded_yaml import DEFAULT_LIMITS, YamlDocument, YamlLimits, YamlRejected, load_yaml_file

YAML_SUFFIXES = (".yaml", ".yml")


def is_yaml(path: Path) -> bool:
    return path.suffix in YAML_SUFFIXES or path.name == "Kustomization"


def in_a_chart(directory: Path, root: Path) -> bool:
    """Whether `directory` is a Helm chart's, or inside one (a Chart.yaml in it or above it, up to the root)."""
    folders = [folder for folder in (directory, *directory.parents) if folder.is_relative_to(root)]
    return any((folder / "Chart.yaml").is_file() for folder in folders)


class SourceFiles:
    """Parsed documents of files under `root`, keyed by resolved path; rejections are kept, not raised."""

    def __init__(self, root: Path, limits: YamlLimits = DEFAULT_LIMITS, excluded: tuple[Path, ...] = ()) -> None:
        self.root = root.resolve()
        self.limits = limits
        # Directories of pinned upstream data (the vendored CRDs): never walked by discovery or the guard.
        self.excluded = frozenset(Path(os.path.abspath(directory)) for directory in excluded)
        # Files verified against a pinned sha256: the secret scan trusts them.
        self.trusted: frozenset[Path] = frozenset()
        self._documents: dict[Path, list[YamlDocument] | YamlRejected] = {}
        self._real: dict[Path, Path] = {}  # os.path.realpath, once per path asked (a run reads a fixed tree)
        self._relative: dict[Path, str] = {}
        # What other stages derive from one file's documents, once per run (parse.py: its declarations).
        self.derived: dict[tuple[str, Path], Any] = {}

    def real_path(self, path: Path) -> Path:
        """What os.path.realpath says, built on the parent's (remembered for the run): a path costs one lstat
        of its last part instead of one per part, and `..` still follows the real parent, as realpath does."""
        found = self._real.get(path)
        if found is not None:
            return found
        if not path.is_absolute():
            found = self.real_path(Path.cwd() / path)
        elif path.parent == path:
            found = path
        elif path.name == "..":
            found = self.real_path(path.parent).parent
        else:
            candidate = self.real_path(path.parent) / path.name
            found = Path(os.path.realpath(candidate)) if os.path.islink(candidate) else candidate
        self._real[path] = found
        return found

    def relative(self, path: Path) -> str:
        """The path as a person sees it from the repository root (or as given, when outside).
        A symlink keeps its own name: only its parent directories are resolved."""
        found = self._relative.get(path)
        if found is None:
            located = self.real_path(path.parent) / path.name
            try:
                found = str(located.relative_to(self.root))
            except ValueError:
                found = str(path)
            self._relative[path] = found
        return found

    def load(self, path: Path) -> list[YamlDocument] | YamlRejected:
        key = self.real_path(path)
        if key not in self._documents:
            try:
                self._documents[key] = load_yaml_file(key, self.limits)
            except YamlRejected as rejected:
                self._documents[key] = rejected
            except OSError as error:
                self._documents[key] = YamlRejected("GUARD-MISSING-FILE", f"cannot read file: {error.strerror}", None)
        return self._documents[key]

    def documents(self, path: Path) -> list[YamlDocument]:
        """Documents of an accepted file; an empty list when the file was rejected."""
        loaded = self.load(path)
        return [] if isinstance(loaded, YamlRejected) else loaded
