"""Secrets in git, over every file a commit would carry (not only what renders): detect-secrets'
line detectors plus our own patterns, and YAML documents that are plaintext Secrets or kubeconfigs.

Every file is read as plain lines, streamed in chunks and decoded leniently, so no file is too large, too
oddly encoded or too hostile to scan (detect-secrets' own YAML parsing would expand an alias bomb, and
reports line numbers of its transformed text). Results are cached by file content."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from gitops_toolkit.core.bounded_yaml import UNSAFE_RULES, YamlRejected
from gitops_toolkit.core.cache_directory import read_json, write_json
from gitops_toolkit.core.findings import Finding, ResourceRef, contained
from gitops_toolkit.core.secret_patterns import (
    PRIVATE_KEY_HEADER,
    SECRET_PATTERNS,
    is_credential_name,
    is_placeholder,
    key_material_follows,
    names_a_secret,
    secrets_in,
)
from gitops_toolkit.render.read.guard import is_helm_template, rejection_finding
from gitops_toolkit.render.read.source_files import SourceFiles, is_yaml
from gitops_toolkit.tools.git import committable_files

ALLOWLIST_PRAGMA = "pragma: allowlist secret"
_CACHE_FORMAT = 10
_CHUNK_LINES = 4096  # lines handed to the detectors at once
_MAX_LINE_CHARS = 64 * 1024  # a longer line is scanned in pieces (a minified or binary file)
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
# Entropy detectors flag every image digest and CRD; keyword matching is noise in source code.
_DETECTORS = (
    "AWSKeyDetector",
    "ArtifactoryDetector",
    "AzureStorageKeyDetector",
    "BasicAuthDetector",
    "DiscordBotTokenDetector",
    "GitHubTokenDetector",
    "GitLabTokenDetector",
    "JwtTokenDetector",
    "KeywordDetector",
    "MailchimpDetector",
    "NpmDetector",
    "OpenAIDetector",
    "PrivateKeyDetector",
    "PypiTokenDetector",
    "SendGridDetector",
    "SlackDetector",
    "SquareOAuthDetector",
    "StripeDetector",
    "TelegramBotTokenDetector",
    "TwilioKeyDetector",
)
_KEYWORD_FILES = (".yaml", ".yml", ".json", ".toml", ".ini", ".cfg", ".conf", ".env", ".properties")
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


_KEY = re.compile(r"""^\s*(?:-\s*)?["']?([\w.-]+)["']?\s*[:=]""")


def _names_a_credential(line: str) -> bool:
    """detect-secrets' keyword match, unless the key only names where a secret lives (`secretName: x`,
    `adminSecret: grafana-admin`), the value is a placeholder, or the line is prose in a comment (a
    commented-out `password: x` still counts)."""
    comment = line.lstrip().startswith("#")
    text = line.lstrip().lstrip("#") if comment else line
    key = _KEY.match(text)
    if key is None:
        return not comment
    value = text[key.end() :].split(" #", 1)[0].strip().strip("'\"")
    if value.startswith(("{", "[")):
        return False  # a mapping or a list (`secret: {secretName: tls}`), not a value
    name = key.group(1)
    return is_credential_name(name) and not names_a_secret(name, value) and not is_placeholder(value)


def _chunks(path: Path) -> Iterator[list[tuple[int, str]]]:
    """(line number, text) of the file in chunks; bytes that are not UTF-8 become U+FFFD."""
    chunk: list[tuple[int, str]] = []
    number, continued = 0, False
    with path.open(encoding="utf-8", errors="replace") as handle:
        for piece in iter(lambda: handle.readline(_MAX_LINE_CHARS), ""):
            if not continued:
                number += 1
            continued = not piece.endswith("\n")
            # Indentation never matters to a detector, and one of detect-secrets' filters is quadratic in it.
            chunk.append((number, piece.strip()))
            if len(chunk) >= _CHUNK_LINES:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


@cache
def _could_hit() -> re.Pattern[str]:
    """A line only these detectors' own patterns match can be a hit: each regex detector reports what one of
    its patterns finds, and the keyword detector needs one of its keywords. The rest of the lines (most of them)
    skip detect-secrets' per-line machinery, which costs about 0.15 ms a line per detector."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.keyword import DENYLIST_REGEX

    detectors: dict[str, Any] = {plugin.__name__: plugin for plugin in get_mapping_from_secret_type_to_class().values()}
    patterns = [f"(?i:{DENYLIST_REGEX})"]
    for name in _DETECTORS:
        for regex in getattr(detectors[name](), "denylist", ()):
            patterns.append(f"(?i:{regex.pattern})" if regex.flags & re.IGNORECASE else f"(?:{regex.pattern})")
    return re.compile("|".join(patterns))


def _detector_hits(path: Path) -> list[tuple[int, str]]:
    """(line, kind) from detect-secrets' line detectors and our patterns, keyword hits kept only on lines
    whose key names a credential in a configuration file."""
    # detect-secrets' line-based entry point: scan_file() would first parse YAML and INI files itself.
    from detect_secrets.core.scan import _process_line_based_plugins  # imported late: it loads every plugin
    from detect_secrets.settings import get_filters, get_settings, transient_settings

    hits: set[tuple[int, str]] = set()
    env_file = path.name == ".env" or path.name.startswith(".env.") or path.suffix == ".env"
    # A Helm template is Go template text: its `$privateKeyLabels :=` is code, not a credential's key.
    keyword_file = (path.suffix in _KEYWORD_FILES or env_file) and not is_helm_template(path)
    context = _judged_as(path)
    with transient_settings({"plugins_used": [{"name": name} for name in _DETECTORS]}):
        # Its regex is quadratic in the line length (30 ms a line of 1,000 characters): a crafted file would
        # stall the gate. Keyword hits are judged by their key instead (_names_a_credential).
        get_settings().disable_filters("detect_secrets.filters.heuristic.is_indirect_reference")
        get_filters.cache_clear()
        for chunk in _chunks(path):
            text = dict(chunk)
            hits.update(_pattern_hits(chunk))
            if env_file:
                hits.update(_env_assignments(chunk))
            could = _could_hit()
            unknown = [
                (number, line) for number, line in chunk if could.search(line) and (context, line) not in _CLEAN_LINES
            ]
            flagged: set[int] = set()
            for secret in _process_line_based_plugins(unknown, str(path)):
                line = secret.line_number
                if line not in text:  # a third-party line number is checked before use
                    continue
                flagged.add(line)
                if secret.type == "Private Key" and not key_material_follows(text, line):
                    continue  # a PEM header over `...` in documentation
                if secret.type != "Secret Keyword" or (keyword_file and _names_a_credential(text[line])):
                    hits.add((line, str(secret.type)))
            _remember_clean(context, (line for number, line in unknown if number not in flagged))
    return sorted(hits)


# Lines in which detect-secrets found nothing, by what its detectors and filters judge a file by (its name;
# "swagger" anywhere in its path): YAML repeats itself (`apiVersion: v1`, a copied overlay), and each line
# costs every detector about 0.3 ms.
_CLEAN_LINES: set[tuple[tuple[str, bool], str]] = set()
_MAX_CLEAN_LINES = 500_000


def _judged_as(path: Path) -> tuple[str, bool]:
    return path.name, "swagger" in str(path)


def _remember_clean(context: tuple[str, bool], lines: Iterator[str]) -> None:
    if len(_CLEAN_LINES) > _MAX_CLEAN_LINES:
        _CLEAN_LINES.clear()
    _CLEAN_LINES.update((context, line) for line in lines)


def _cached_hits(path: Path) -> list[tuple[int, str]]:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    key = f"{digest.hexdigest()}-v{_CACHE_FORMAT}"
    cached = read_json("secret-scan", key)
    if isinstance(cached, list):
        return [(int(line), str(kind)) for line, kind in cached]
    found = _detector_hits(path)
    write_json("secret-scan", key, found)
    return found


_ENV_ASSIGNMENT = re.compile(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)")


def _env_assignments(lines: list[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    """`NAME=value` lines of a .env file whose name is a credential's and whose value is written out
    (detect-secrets misses unquoted ones)."""
    for number, line in lines:
        assignment = _ENV_ASSIGNMENT.fullmatch(line)
        if assignment is None or ALLOWLIST_PRAGMA in line:
            continue
        name, value = assignment.group(1), assignment.group(2).strip().strip("'\"")
        if is_credential_name(name) and value and not value.startswith(("${", "$(")):
            yield number, "credential in a .env file"


def _pattern_hits(lines: list[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    text = dict(lines)
    for number, line in lines:
        if ALLOWLIST_PRAGMA not in line:
            for kind in secrets_in(line):
                yield number, kind
            if PRIVATE_KEY_HEADER.search(line) and key_material_follows(text, number):
                yield number, "private key"


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


def scan_file(tree: SourceFiles, path: Path) -> list[Finding]:
    relative = tree.relative(path)
    findings: list[Finding] = []
    hits = _cached_hits(path)
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
    for position, path in enumerate(files_to_scan(tree.root)):
        if takes(position) and path.resolve() not in tree.trusted:
            findings += contained(tree.relative(path), "the secret scan", scan_file, tree, path)
    return findings
