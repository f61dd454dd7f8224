"""What a leaked credential looks like: our own patterns for what detect-secrets misses or reports only
as generic entropy (Slack webhooks of every kind, GitLab tokens, PEM private keys, kubeconfig client
keys, registry auths, kubeadm join tokens), and the names that mark a value as a credential."""

from __future__ import annotations

import re
from collections.abc import Iterator

SECRET_PATTERNS: dict[str, re.Pattern[str]] = {
    "Slack webhook URL": re.compile(r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/+-]{20,}"),
    "Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "GitLab token": re.compile(
        r"\b(?:gl(?:pat|dt|rt|cbt|ptt|ft|oas|soat|imt|agent)-[0-9A-Za-z_-]{20,}|GR1348941[0-9A-Za-z_-]{20,})"
    ),
    "private key": re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
    "kubeconfig client key": re.compile(r"client-key-data\"?\s*:\s*\"?[A-Za-z0-9+/=]{20,}"),
    "registry credentials (.dockerconfigjson)": re.compile(
        r"\.dockerconfigjson\"?\s*:\s*[\"']?[A-Za-z0-9+/=]{20,}|\"auths\"\s*:\s*\{\s*\"[^\"]+\"\s*:\s*\{[^}]*\"auth\""
    ),
    "kubeadm join token": re.compile(r"(?i)token[\"'=:\s]+[a-z0-9]{6}\.[a-z0-9]{16}\b"),
}

# Names (env variables, ConfigMap keys, annotation keys) whose values are credentials.
CREDENTIAL_NAME = re.compile(
    r"(?i)(pass(word|wd)?|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credentials?|auth)$"
)
# ...unless they only point at where the credential lives (`password_file`, `existingSecret` in Helm values).
REFERENCE_NAME = re.compile(r"(?i)[-_.](file|path|dir|name|ref|url[-_]file|secret[-_]?name)$|^existing")


def secrets_in(text: str) -> Iterator[str]:
    """The kinds of credential `text` contains."""
    for kind, pattern in SECRET_PATTERNS.items():
        if pattern.search(text):
            yield kind


def is_credential_name(name: str) -> bool:
    return bool(CREDENTIAL_NAME.search(name)) and not REFERENCE_NAME.search(name)
