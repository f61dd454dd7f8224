"""detect-secrets' line detectors and our own patterns over a file's lines, and what they found in each file
kept by its content between runs (one map for the whole scan: a file costs a digest, not a cache file).

A line none of the chosen detectors' patterns (nor a keyword) can match never reaches detect-secrets' per-line
machinery; lines it judged clean before are remembered for the process."""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from gitops_toolkit.core.cache_directory import KeptMap
from gitops_toolkit.core.secret_patterns import (
    PRIVATE_KEY_HEADER,
    is_credential_name,
    is_placeholder,
    key_material_follows,
    names_a_secret,
    secrets_in,
)
from gitops_toolkit.render.read.guard import is_helm_template

ALLOWLIST_PRAGMA = "pragma: allowlist secret"

_FORMAT = 10  # of the stored results
SCAN_RESULTS = "secret-scan"  # the cache kind
_CHUNK_LINES = 4096  # lines handed to the detectors at once
_MAX_LINE_CHARS = 64 * 1024  # a longer line is scanned in pieces (a minified or binary file)

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

    plugins: list[Any] = list(get_mapping_from_secret_type_to_class().values())
    detectors = {str(plugin.__name__): plugin for plugin in plugins}
    patterns = [f"(?i:{DENYLIST_REGEX})"]
    for name in _DETECTORS:
        for regex in getattr(detectors[name](), "denylist", ()):
            patterns.append(f"(?i:{regex.pattern})" if regex.flags & re.IGNORECASE else f"(?:{regex.pattern})")
    return re.compile("|".join(patterns))


def detector_hits(path: Path) -> list[tuple[int, str]]:
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
    could = _could_hit()
    ready = False  # detect-secrets is set up only for a file that has a line for it
    with contextlib.ExitStack() as configured:
        for chunk in _chunks(path):
            text = dict(chunk)
            hits.update(_pattern_hits(chunk))
            if env_file:
                hits.update(_env_assignments(chunk))
            unknown = [
                (number, line) for number, line in chunk if could.search(line) and (context, line) not in _CLEAN_LINES
            ]
            if unknown and not ready:
                ready = True
                configured.enter_context(transient_settings({"plugins_used": [{"name": n} for n in _DETECTORS]}))
                # Its regex is quadratic in the line length (30 ms a line of 1,000 characters): a crafted file
                # would stall the gate. Keyword hits are judged by their key instead (_names_a_credential).
                get_settings().disable_filters("detect_secrets.filters.heuristic.is_indirect_reference")
                get_filters.cache_clear()
            flagged: set[int] = set()
            for secret in _process_line_based_plugins(unknown, str(path)) if unknown else ():
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


class FileResults:
    """What the detectors found in each file, by the sha256 of its content (a KeptMap: read once, written once)."""

    def __init__(self) -> None:
        self._kept = KeptMap(SCAN_RESULTS, f"files-v{_FORMAT}")

    def hits(self, path: Path) -> list[tuple[int, str]]:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        key = digest.hexdigest()
        kept = self._kept.get(key)
        found = [(int(line), str(kind)) for line, kind in kept] if isinstance(kept, list) else detector_hits(path)
        self._kept.put(key, found)
        return found

    def save(self) -> None:
        self._kept.save()
