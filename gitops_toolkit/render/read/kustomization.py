"""What a kustomization file refers to, read statically (no kustomize run): paths, with their lines."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitops_toolkit.core.bounded_yaml import YamlDocument
from gitops_toolkit.core.tree_walk import walk_tree

KUSTOMIZATION_FILENAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_REMOTE_PREFIXES = ("git@", "git::", "github.com/", "gitlab.com/", "bitbucket.org/", "ssh:", "oci:")
# Fields that make kustomize inflate Helm charts (downloads, and no helm binary offline).
HELM_FIELDS = ("helmCharts", "helmChartInflationGenerator", "helmGlobals")


@dataclass(frozen=True)
class Reference:
    """One path (or URL) a kustomization names; `field` is how a person finds it in the file."""

    field: str
    value: str
    line: int

    @property
    def section(self) -> str:
        """The top-level kustomization field, e.g. "patches" for "patches[2].path"."""
        return self.field.split("[", 1)[0].split(".", 1)[0]

    @property
    def composes(self) -> bool:
        """A directory named here is built into the kustomization (a base or component)."""
        return self.section in ("resources", "bases", "components")

    @property
    def declares_objects(self) -> bool:
        """kustomize loads a file named here as Kubernetes objects (not as generator text)."""
        return self.section not in ("configMapGenerator", "secretGenerator")

    @property
    def declares_resources(self) -> bool:
        """A file named here holds resources of the kustomization."""
        return self.section in ("resources", "crds")

    @property
    def is_remote(self) -> bool:
        value = self.value.strip()
        return "://" in value or "?ref=" in value or value.startswith(_REMOTE_PREFIXES)


@dataclass(frozen=True)
class Kustomization:
    file: Path
    is_component: bool
    references: list[Reference] = field(default_factory=list)
    helm_fields: list[Reference] = field(default_factory=list)

    @property
    def directory(self) -> Path:
        return self.file.parent


def kustomization_file(directory: Path) -> Path | None:
    for name in KUSTOMIZATION_FILENAMES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def read_kustomization(file: Path, documents: list[YamlDocument]) -> Kustomization:
    """Collect every path reference; an unreadable or odd-shaped file simply yields fewer references."""
    document = documents[0] if documents and isinstance(documents[0].data, dict) else None
    if document is None:
        return Kustomization(file=file, is_component=False)
    body: dict[str, Any] = document.data
    return Kustomization(
        file=file,
        is_component=body.get("kind") == "Component",
        references=list(_references(body, document)),
        helm_fields=[Reference(name, name, document.line_of([name])) for name in HELM_FIELDS if name in body],
    )


def _references(body: dict[str, Any], document: YamlDocument) -> Iterator[Reference]:
    def ref(value: Any, *path: str | int) -> Iterator[Reference]:
        if isinstance(value, str) and value and not _is_inline(value):
            yield Reference(_describe(path), value, document.line_of(path))

    for name in (
        "resources",
        "bases",
        "components",
        "crds",
        "configurations",
        "patchesStrategicMerge",
        "generators",
        "transformers",
        "validators",
    ):
        for index, value in enumerate(_as_list(body.get(name))):
            yield from ref(value, name, index)
    for name in ("patches", "patchesJson6902", "replacements"):
        for index, item in enumerate(_as_list(body.get(name))):
            if isinstance(item, dict):
                yield from ref(item.get("path"), name, index, "path")
    for name in ("configMapGenerator", "secretGenerator"):
        for index, generator in enumerate(_as_list(body.get(name))):
            if not isinstance(generator, dict):
                continue
            for position, source in enumerate(_as_list(generator.get("files"))):
                # `key=path` names the key the file's content is stored under
                value = source.split("=", 1)[-1] if isinstance(source, str) else source
                yield from ref(value, name, index, "files", position)
            for position, source in enumerate(_as_list(generator.get("envs"))):
                yield from ref(source, name, index, "envs", position)
            yield from ref(generator.get("env"), name, index, "env")
    openapi = body.get("openapi")
    if isinstance(openapi, dict):
        yield from ref(openapi.get("path"), "openapi", "path")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _is_inline(value: str) -> bool:
    """Patches and transformer configs may be written inline as YAML text instead of a path."""
    return "\n" in value.strip() or value.lstrip().startswith(("apiVersion:", "kind:", "-", "{"))


def _describe(path: tuple[str | int, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


class KustomizationIndex:
    """Kustomizations by resolved directory, read once through the shared source files."""

    def __init__(
        self, load_documents: Callable[[Path], list[YamlDocument]], real_path: Callable[[Path], Path] = Path.resolve
    ) -> None:
        self._load_documents = load_documents
        self.real_path = real_path  # the source files' memoised realpath, when given
        self._by_directory: dict[Path, Kustomization | None] = {}
        self.reads: dict[tuple[tuple[Path, ...], frozenset[Path]], set[Path]] = {}  # files_kustomize_reads, by roots

    def get(self, directory: Path) -> Kustomization | None:
        key = self.real_path(directory)
        if key not in self._by_directory:
            file = kustomization_file(key)
            self._by_directory[key] = None if file is None else read_kustomization(file, self._load_documents(file))
        return self._by_directory[key]


def files_kustomize_reads(index: KustomizationIndex, roots: list[Path], excluded: frozenset[Path]) -> set[Path]:
    """Every kustomization file under `roots`, and every local file or folder one of them names (resolved)."""
    key = (tuple(roots), excluded)
    if key not in index.reads:
        named: set[Path] = set()
        for directory, _, files in walk_tree(roots, excluded):
            kustomization = index.get(directory) if any(name in KUSTOMIZATION_FILENAMES for name in files) else None
            if kustomization is not None:
                named.add(index.real_path(kustomization.file))
                named |= {
                    index.real_path(kustomization.directory / r.value)
                    for r in kustomization.references
                    if not r.is_remote
                }
        index.reads[key] = named
    return set(index.reads[key])
