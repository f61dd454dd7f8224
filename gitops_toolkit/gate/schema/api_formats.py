"""The string formats the Kubernetes API server enforces beyond JSON types (k8s.io/apimachinery's
util/validation and api/resource), as small predicates that return what is wrong or None."""

from __future__ import annotations

import re

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_IANA_SERVICE_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")

_LABEL_MAX = 63
_SUBDOMAIN_MAX = 253


def _label(value: str, pattern: re.Pattern[str], shape: str) -> str | None:
    if len(value) > _LABEL_MAX:
        return f"is {len(value)} characters, over {_LABEL_MAX}"
    return None if pattern.fullmatch(value) else f"must be lower-case letters, digits and '-', {shape}"


def dns1123_label(value: str) -> str | None:
    return _label(value, _DNS1123_LABEL, "starting and ending with a letter or digit")


def dns1035_label(value: str) -> str | None:
    return _label(value, _DNS1035_LABEL, "starting with a letter and ending with a letter or digit")


def dns1123_subdomain(value: str) -> str | None:
    if len(value) > _SUBDOMAIN_MAX:
        return f"is {len(value)} characters, over {_SUBDOMAIN_MAX}"
    if not all(_DNS1123_LABEL.fullmatch(part) for part in value.split(".")):
        return (
            "must be lower-case letters, digits, '-' and '.', "
            "each part between dots starting and ending with a letter or digit"
        )
    return None


def path_segment(value: str) -> str | None:
    """RBAC object names: anything that is a single path segment."""
    if value in (".", "..") or "/" in value or "%" in value:
        return "may not be '.' or '..' or contain '/' or '%'"
    return None


def qualified_name(value: str) -> str | None:
    """A label or annotation key: an optional DNS-subdomain prefix and '/', then a name of at most 63."""
    prefix, slash, name = value.rpartition("/")
    if slash and (not prefix or dns1123_subdomain(prefix)):
        return f"has prefix `{prefix}`, which must be a lower-case DNS subdomain"
    if len(name) > _LABEL_MAX:
        return f"has a name part of {len(name)} characters, over {_LABEL_MAX}"
    if not _QUALIFIED_NAME.fullmatch(name):
        return "must be letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
    return None


def label_value(value: str) -> str | None:
    if len(value) > _LABEL_MAX:
        return f"is {len(value)} characters, over {_LABEL_MAX}"
    if value and not _QUALIFIED_NAME.fullmatch(value):
        return "must be empty or letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
    return None


def port_name(value: str) -> str | None:
    """A container port name or a Service's named targetPort (IANA service name)."""
    if len(value) > 15:
        return f"is {len(value)} characters, over 15"
    if not _IANA_SERVICE_NAME.fullmatch(value) or "--" in value:
        return "must be lower-case letters, digits and single '-', starting and ending with a letter or digit"
    if not any(character.isalpha() for character in value):
        return "must contain at least one letter"
    return None
