"""Secrets in git, over every file a commit would carry (not only what renders): detect-secrets'
detectors plus our own patterns, and YAML documents that are plaintext Secrets or kubeconfigs.
detect-secrets costs about 10 ms a file, so its results are cached by file content."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gitops_toolkit.cache import cache_root
from gitops_toolkit.files import write_atomic
from gitops_toolkit.gate.findings import Finding, ResourceRef
from gitops_toolkit.gate.secret_patterns import is_credential_name, secrets_in
from gitops_toolkit.gate.source_files import SourceFiles, is_yaml
from gitops_toolkit.git import committable_files

ALLOWLIST_PRAGMA = "pragma: allowlist secret"
_CACHE_FORMAT = 1
_MAX_BYTES = 1024 * 1024
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


def _detect_secrets(path: Path, digest: str) -> list[tuple[int, str]]:
    """(line, kind) found by detect-secrets, from the cache when this content was scanned before."""
    cached = cache_root() / "secret-scan" / f"{digest}-v{_CACHE_FORMAT}.json"
    if cached.is_file():
        return [(int(line), str(kind)) for line, kind in json.loads(cached.read_text(encoding="utf-8"))]
    from detect_secrets.core.scan import scan_file  # imported late: it loads every plugin
    from detect_secrets.settings import transient_settings

    with transient_settings({"plugins_used": [{"name": name} for name in _DETECTORS]}):
        found = sorted({(secret.line_number, secret.type) for secret in scan_file(str(path))})
    with contextlib.suppress(OSError):
        write_atomic(cached, json.dumps(found))
    return found


_KEY = re.compile(r"""^\s*(?:-\s*)?["']?([\w.-]+)["']?\s*[:=]""")


def _names_a_credential(line: str) -> bool:
    """detect-secrets' keyword match, unless the key only names where a secret lives (`secretName: x`)."""
    key = _KEY.match(line)
    return key is None or is_credential_name(key.group(1))


def _pattern_hits(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if ALLOWLIST_PRAGMA not in line:
            for kind in secrets_in(line):
                yield number, kind


def _sealed_lines(tree: SourceFiles, path: Path) -> set[int]:
    """Lines holding SealedSecret ciphertext: keys like `password` there are encrypted, not leaked."""
    lines: set[int] = set()
    for document in tree.documents(path):
        if isinstance(document.data, dict) and document.data.get("kind") == "SealedSecret":
            lines.update(document.lines_of(["spec", "encryptedData"]))
    return lines


def _yaml_findings(tree: SourceFiles, path: Path) -> Iterator[Finding]:
    relative = tree.relative(path)
    for document in tree.documents(path):
        data: Any = document.data
        if not isinstance(data, dict):
            continue
        metadata: dict[str, Any] = data["metadata"] if isinstance(data.get("metadata"), dict) else {}
        if data.get("kind") == "Secret" and (data.get("data") or data.get("stringData")):
            ref = ResourceRef("Secret", str(metadata.get("namespace", "") or ""), str(metadata.get("name", "")))
            yield Finding(
                relative,
                document.line,
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
                            document.line_of(["users", position, "user", field]),
                            "SECRET-IN-FILE",
                            f"kubeconfig user credential `{field}` is committed; remove the kubeconfig from git and "
                            "rotate the credential",
                        )


def scan_file(tree: SourceFiles, path: Path) -> list[Finding]:
    if path.stat().st_size > _MAX_BYTES:
        return []
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return []  # binary files hold no text secrets; non-UTF-8 manifests are a guard finding
    relative = tree.relative(path)
    hits = set(_pattern_hits(text))
    ciphertext = _sealed_lines(tree, path) if is_yaml(path) else set()
    lines = text.splitlines()
    for line, kind in _detect_secrets(path, hashlib.sha256(raw).hexdigest()):
        if kind != "Secret Keyword" or (
            path.suffix in _KEYWORD_FILES and line not in ciphertext and _names_a_credential(lines[line - 1])
        ):
            hits.add((line, kind))
    findings = [
        Finding(
            relative,
            line,
            "SECRET-IN-FILE",
            f"{kind} committed to git; remove it, rotate it (history keeps it) and deliver it as a SealedSecret "
            f"(or mark a false positive with `# {ALLOWLIST_PRAGMA}`)",
        )
        for line, kind in sorted(hits)
    ]
    if is_yaml(path):
        findings.extend(_yaml_findings(tree, path))
    return findings


def scan_repository(tree: SourceFiles) -> list[Finding]:
    findings: list[Finding] = []
    for path in files_to_scan(tree.root):
        if path.resolve() not in tree.trusted:
            findings.extend(scan_file(tree, path))
    return findings
