"""What a machine-written manifest says at its top level, read from its text without parsing it: for files of
megabytes (upstream CRDs) whose identity is all a stage needs."""

from __future__ import annotations

import re

# A `---` line, with the newline before it: a pattern that starts with a literal is searched for many times
# quicker than one that starts with `^` (this text is megabytes of CRDs).
_DOCUMENT_BREAK = re.compile(r"\n---[ \t]*$", re.MULTILINE)
_TOP = r"^{}:[ \t]*['\"]?([^'\"\s#]+)['\"]?[ \t]*(?:#.*)?$"
_API_VERSION = re.compile(_TOP.format("apiVersion"), re.MULTILINE)
_KIND = re.compile(_TOP.format("kind"), re.MULTILINE)
_METADATA = re.compile(r"^metadata:[ \t]*\n((?:(?:[ \t].*)?\n)*)", re.MULTILINE)
_NAME = re.compile(r"^  name:[ \t]*['\"]?([^'\"\s#]+)['\"]?[ \t]*$", re.MULTILINE)
_NAMESPACE = re.compile(r"^  namespace:[ \t]*['\"]?([^'\"\s#]+)['\"]?[ \t]*$", re.MULTILINE)


def split_documents(text: str) -> list[str]:
    """The documents of a YAML stream, split at every `---` line (the newline before each marker stays with the
    document it ends; a stream that starts with `---` starts with an empty document)."""
    parts = _DOCUMENT_BREAK.split("\n" + text)
    documents = [part + "\n" for part in parts[:-1]] + parts[-1:]
    documents[0] = documents[0][1:]
    return documents


def top_level(document: str) -> tuple[str, str, str, str] | None:
    """(apiVersion, kind, metadata.name, metadata.namespace or "") of one document in the usual layout, else
    None (then parse it)."""
    api_version, kind = _API_VERSION.findall(document), _KIND.findall(document)
    metadata = _METADATA.search(document)
    names = _NAME.findall(metadata.group(1)) if metadata else []
    if len(api_version) != 1 or len(kind) != 1 or len(names) != 1:
        return None
    namespaces = _NAMESPACE.findall(metadata.group(1)) if metadata else []
    return api_version[0], kind[0], names[0], namespaces[0] if namespaces else ""
