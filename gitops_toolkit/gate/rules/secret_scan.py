"""Secrets in git, over every file a commit would carry (not only what renders): detect-secrets'
line detectors plus our own patterns, and YAML documents that are plaintext Secrets or kubeconfigs.

Every file is read as plain lines, streamed in chunks and decoded leniently, so no file is too large, too
oddly encoded or too hostile to scan (detect-secrets' own YAML parsing would expand an alias bomb, and
reports line numbers of its transformed text). Results are cached by file content."""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from gitops_toolkit.core.bounded_yaml import UNSAFE_RULES, YamlRejected
from gitops_toolkit.core.findings import Finding, ResourceRef, contained
from gitops_toolkit.core.secret_patterns import (
    SECRET_PATTERNS,
    secrets_in,
)
from gitops_toolkit.gate.rules.line_detectors import ALLOWLIST_PRAGMA, FileResults
from gitops_toolkit.render.read.guard import rejection_finding
from gitops_toolkit.render.read.source_files import SourceFiles, is_yaml
from gitops_toolkit.tools.git import committable_files

_SKIPPED_DIRECTORIES = {
    ".git",
    ".venv",
    "venv",
    ".nox",
    ".tox",
    "node_modules",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "build",
    "dist",
}
_KUBECONFIG_SECRETS = ("client-key-data", "token", "password")


def _walk(root: Path) -> list[Path]:
    files: list[Path] = []
    for directory, subdirectories, names in os.walk(root):
        subdirectories[:] = [d for d in subdirectories if d not in _SKIPPED_DIRECTORIES and not d.endswith(".egg-info")]
        files.extend(Path(directory) / name for name in names)
    return sorted(files)


def files_to_scan(root: Path) -> list[Path]:
    tracked = committable_files(root)
    candidates = tracked if tracked is not None else _walk(root)
    return [path for path in candidates if path.is_file() and not path.is_symlink()]


def _sealed_lines(tree: SourceFiles, path: Path) -> set[int]:
    """Lines holding SealedSecret ciphertext: keys like `password` there are encrypted, not leaked."""
    lines: set[int] = set()
    for document in tree.documents(path):
        if isinstance(document.data, dict) and document.data.get("kind") == "SealedSecret":
            lines.update(document.lines_of(["spec", "encryptedData"]))
    return lines


LineOf = Callable[[Sequence[str | int]], int]
_BASE64 = re.compile(r"[A-Za-z0-9+/]{60,}={0,2}")
_MAX_JSON_BYTES = 1024 * 1024


def _manifests(tree: SourceFiles, path: Path) -> list[tuple[Any, LineOf]]:
    """The objects of a YAML file (through the guard: bounded) or a JSON file, `List` items unpacked, each
    with how to find the line of a field (JSON: line 1)."""
    documents: list[tuple[Any, LineOf]]
    if is_yaml(path):
        documents = [(document.data, document.line_of) for document in tree.documents(path)]
    elif path.suffix == ".json" and path.stat().st_size <= _MAX_JSON_BYTES:
        try:
            data = json.loads(path.read_bytes())
        except (ValueError, UnicodeDecodeError):
            return []
        documents = [(item, _first_line) for item in (data if isinstance(data, list) else [data])]
    else:
        return []
    unpacked: list[tuple[Any, LineOf]] = []
    for data, line_of in documents:
        items = data.get("items") if isinstance(data, dict) and str(data.get("kind", "")).endswith("List") else None
        if isinstance(items, list):
            unpacked += [(item, _within(line_of, ["items", i])) for i, item in enumerate(items)]
        else:
            unpacked.append((data, line_of))
    return unpacked


def _first_line(_: Sequence[str | int]) -> int:
    return 1


def _within(line_of: LineOf, prefix: list[str | int]) -> LineOf:
    return lambda path: line_of([*prefix, *path])


def _manifest_findings(relative: str, data: Any, line_of: LineOf) -> Iterator[Finding]:
    if not isinstance(data, dict):
        return
    metadata: dict[str, Any] = data["metadata"] if isinstance(data.get("metadata"), dict) else {}
    if data.get("kind") == "Secret" and (data.get("data") or data.get("stringData")):
        ref = ResourceRef("Secret", str(metadata.get("namespace", "") or ""), str(metadata.get("name", "")))
        yield Finding(
            relative,
            line_of([]),
            "SECRET-PLAINTEXT",
            "a Secret with data is committed in plain text (base64 is not encryption); seal it with "
            "kubeseal and commit the SealedSecret instead",
            ref,
        )
    if data.get("kind") == "Config" and isinstance(data.get("users"), list):
        for position, user in enumerate(data["users"]):
            fields = (user or {}).get("user") if isinstance(user, dict) else None
            for field in _KUBECONFIG_SECRETS:
                if isinstance(fields, dict) and fields.get(field):
                    yield Finding(
                        relative,
                        line_of(["users", position, "user", field]),
                        "SECRET-IN-FILE",
                        f"kubeconfig user credential `{field}` is committed; remove the kubeconfig from git and "
                        "rotate the credential",
                    )
    if data.get("kind") != "SealedSecret":
        yield from _encoded_secrets(relative, data, line_of)


def _encoded_secrets(relative: str, data: Any, line_of: LineOf) -> Iterator[Finding]:
    """Long base64 values (binaryData, a Secret's data, a CI variable) decoded and scanned: a kubeconfig or a
    key does not stop being one when encoded."""
    stack: list[tuple[Any, list[str | int]]] = [(data, [])]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            stack.extend((child, [*path, str(key)]) for key, child in value.items())
        elif isinstance(value, list):
            stack.extend((child, [*path, position]) for position, child in enumerate(value))
        elif isinstance(value, str) and _BASE64.fullmatch(compact := "".join(value.split())):
            try:
                decoded = base64.b64decode(compact, validate=True).decode("utf-8", errors="replace")
            except ValueError:
                continue
            kinds = sorted(set(secrets_in(decoded)))
            if "users:" in decoded and any(f"{field}:" in decoded for field in _KUBECONFIG_SECRETS):
                kinds.append("kubeconfig with user credentials")
            for kind in kinds:
                yield Finding(
                    relative,
                    line_of(path),
                    "SECRET-IN-FILE",
                    f"a base64-encoded {kind} is committed (encoding is not encryption); remove it, rotate it and "
                    "deliver it as a SealedSecret",
                )


def scan_file(tree: SourceFiles, path: Path, results: FileResults) -> list[Finding]:
    relative = tree.relative(path)
    findings: list[Finding] = []
    hits = results.hits(path)
    if is_yaml(path):
        loaded = tree.load(path)  # bounded: a bomb is rejected from its node graph, never expanded
        if isinstance(loaded, YamlRejected) and loaded.rule in UNSAFE_RULES:
            findings.append(rejection_finding(relative, loaded))
        ciphertext = _sealed_lines(tree, path)  # encrypted: whatever a pattern sees there is not a credential
        hits = [(line, kind) for line, kind in hits if line not in ciphertext]
    for data, line_of in _manifests(tree, path):
        findings.extend(_manifest_findings(relative, data, line_of))
    findings += [
        Finding(
            relative,
            line,
            "SECRET-IN-FILE",
            f"{kind} committed to git; remove it, rotate it (history keeps it) and deliver it as a SealedSecret "
            f"(or mark a false positive with `# {ALLOWLIST_PRAGMA}`)",
        )
        for line, kind in _one_per_line(hits)
    ]
    return findings


# A line two detectors flag is one leak, named by the most specific of them: our own patterns, then
# detect-secrets' named detectors, then its generic keyword and entropy ones.
_GENERIC = ("Secret Keyword", "Base64 High Entropy String", "Hex High Entropy String")


def _one_per_line(hits: list[tuple[int, str]]) -> list[tuple[int, str]]:
    def rank(kind: str) -> int:
        return 0 if kind in SECRET_PATTERNS else 2 if kind in _GENERIC else 1

    chosen: dict[int, str] = {}
    for line, kind in sorted(hits):
        if line not in chosen or rank(kind) < rank(chosen[line]):
            chosen[line] = kind
    return sorted(chosen.items())


def scan_repository(tree: SourceFiles, takes: Callable[[int], bool] = lambda _: True) -> list[Finding]:
    """Every committable file; with `takes`, those at the positions it takes (a shard's share)."""
    findings: list[Finding] = []
    results = FileResults()
    for position, path in enumerate(files_to_scan(tree.root)):
        if takes(position) and path.resolve() not in tree.trusted:
            findings += contained(tree.relative(path), "the secret scan", scan_file, tree, path, results)
    results.save()
    return findings
