"""Credentials taken out of diagnostics before they are written: every kind the gate's secret scan knows
(webhooks, tokens, private key blocks), values of credential-named keys and variables, bearer tokens and
passwords inside URLs."""

from __future__ import annotations

import re

from gitops_toolkit.core.secret_patterns import SECRET_PATTERNS, is_credential_name

REDACTED = "[REDACTED]"
_PRIVATE_KEY_BLOCK = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----.*?-----END [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----", re.S
)
_NAMED_VALUE = re.compile(
    r"""(?P<name>[A-Za-z_][\w.-]*)(?P<quote>["']?)(?P<sep>[ \t]*[:=][ \t]*)(?P<value>"[^"]*"|'[^']*'|\S+)"""
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")
_URL_PASSWORD = re.compile(r"(://[^/\s:@]+:)[^@\s/]+@")


def _named(match: re.Match[str]) -> str:
    if not is_credential_name(match["name"]) or match["value"] in ('""', "''", "{", "["):
        return match[0]
    return f"{match['name']}{match['quote']}{match['sep']}{REDACTED}"


def redact(text: str) -> str:
    text = _PRIVATE_KEY_BLOCK.sub(REDACTED, text)
    for pattern in SECRET_PATTERNS.values():
        text = pattern.sub(REDACTED, text)
    text = _BEARER.sub(lambda match: f"{match[1]} {REDACTED}", text)
    text = _URL_PASSWORD.sub(lambda match: f"{match[1]}{REDACTED}@", text)
    return _NAMED_VALUE.sub(_named, text)
