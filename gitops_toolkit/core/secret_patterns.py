"""What a leaked credential looks like: our own patterns for what detect-secrets misses or reports only
as generic entropy (Slack webhooks of every kind, GitLab tokens, PEM private keys, kubeconfig client
keys, registry auths, kubeadm join tokens), and the names that mark a value as a credential."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator

REGISTRY_CREDENTIALS = "registry credentials (.dockerconfigjson)"
SECRET_PATTERNS: dict[str, re.Pattern[str]] = {
    "Slack webhook URL": re.compile(r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/+-]{20,}"),
    "Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "GitLab token": re.compile(
        r"\b(?:gl(?:pat|dt|rt|cbt|ptt|ft|oas|soat|imt|agent)-[0-9A-Za-z_-]{20,}|GR1348941[0-9A-Za-z_-]{20,})"
    ),
    # A key with its material: a header over `...` or a placeholder is documentation, not a key.
    "private key": re.compile(
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----\s*(?:[A-Za-z-]+:[^\n]*\s*)*[A-Za-z0-9+/=]{4,}"
    ),
    "kubeconfig client key": re.compile(r"client-key-data\"?\s*:\s*\"?[A-Za-z0-9+/=]{20,}"),
    REGISTRY_CREDENTIALS: re.compile(
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


PRIVATE_KEY_HEADER = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
KEY_MATERIAL = re.compile(r"[A-Za-z0-9+/=]{4,}")
# What documentation writes where a credential would go: XXXX, ****, <your-token>, ${TOKEN}.
PLACEHOLDER = re.compile(r"X{4,}|x{4,}|\*{4,}|<[^<>\s]+>|\$\{")


def is_placeholder(value: str) -> bool:
    """A value that shows where a credential goes: XXXX, <token>, ${TOKEN}, or a credential's name itself
    (`api_key: api_key`, `password: password`)."""
    return bool(PLACEHOLDER.search(value)) or bool(CREDENTIAL_NAME.fullmatch(value.strip()))


# A Kubernetes object's name (`grafana-admin`): what `adminSecret:` or `TLS_SECRET=` holds when it points at a
# Secret.
_OBJECT_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


_BASE64_VALUE = re.compile(r"[A-Za-z0-9+/]{20,}")


def _registry_auths(match: str) -> bool:
    """A `.dockerconfigjson` value that decodes to registry auths (a SealedSecret's ciphertext does not)."""
    if "auths" in match:
        return True
    value = _BASE64_VALUE.search(match.partition(":")[2])
    encoded = value.group(0)[: len(value.group(0)) // 4 * 4] if value else ""
    try:
        return b"auths" in base64.b64decode(encoded)
    except ValueError:
        return False


def _credential(kind: str, match: str) -> bool:
    if PLACEHOLDER.search(match):
        return False
    return _registry_auths(match) if kind == REGISTRY_CREDENTIALS else True


def secrets_in(text: str) -> Iterator[str]:
    """The kinds of credential `text` contains (a match that is a placeholder, or ciphertext, is not one)."""
    for kind, pattern in SECRET_PATTERNS.items():
        if any(_credential(kind, match.group(0)) for match in pattern.finditer(text)):
            yield kind


def key_material_follows(text: dict[int, str], header: int) -> bool:
    """Whether a PEM header's next lines (past `Proc-Type:`-style headers) hold key material, not `...`."""
    for number in range(header + 1, header + 4):
        line = text.get(number, "").strip().strip("'\"")
        if KEY_MATERIAL.fullmatch(line):
            return not PLACEHOLDER.search(line)
        if line and ":" not in line:
            return False
    return False


def names_a_secret(name: str, value: str) -> bool:
    """`adminSecret: grafana-admin`, `TS_KUBE_SECRET: tailscale`: a key ending in "secret" whose value is the name
    of the Secret to read (an object's name with a hyphen or a dot, or without digits: a generated credential
    has digits)."""
    return (
        name.lower().endswith("secret")
        and len(value) <= 253
        and bool(_OBJECT_NAME.fullmatch(value))
        and ("-" in value or "." in value or not any(character.isdigit() for character in value))
    )


def is_credential_name(name: str) -> bool:
    return bool(CREDENTIAL_NAME.search(name)) and not REFERENCE_NAME.search(name)
