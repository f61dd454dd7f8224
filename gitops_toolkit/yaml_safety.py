"""Load YAML that a person or an attacker wrote, without hanging, crashing or losing lines.

PyYAML keeps the last of two duplicate keys silently and returns shared alias nodes that blow up
whatever walks them (billion laughs). This module bounds file size and alias count, rejects
duplicate keys and bad encodings, and keeps every document's node tree for line look-ups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_MERGE_TAG = "tag:yaml.org,2002:merge"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _Loader(yaml.CSafeLoader):
    """Safe loader that reads dates as strings (as Kubernetes does) and accepts the `=` value key."""

    yaml_implicit_resolvers = {  # noqa: RUF012 (PyYAML's own class attribute, replaced, never mutated)
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
        for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
    }


# A bare `=` is the YAML 1.1 "value" type; Kubernetes CRDs use it as an ordinary string.
_Loader.add_constructor("tag:yaml.org,2002:value", SafeConstructor.construct_yaml_str)  # type: ignore[type-var]


@dataclass(frozen=True)
class YamlLimits:
    max_bytes: int = 1024 * 1024
    max_aliases: int = 50
    max_documents: int = 1000


DEFAULT_LIMITS = YamlLimits()


class YamlRejected(Exception):
    """The file cannot be accepted; `rule` is the gate rule it breaks."""

    def __init__(self, rule: str, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.line = line


@dataclass(frozen=True)
class YamlDocument:
    """One document of a file: its data and its node tree (for line numbers)."""

    data: Any
    node: Node

    @property
    def line(self) -> int:
        return self.node.start_mark.line + 1

    def sub_document(self, path: Sequence[str | int]) -> YamlDocument | None:
        """The value at `path` as a document of its own (its data and node), for embedded manifests."""
        node: Node = self.node
        data: Any = self.data
        for part in path:
            found = _child(node, part)
            if found is None:
                return None
            node = found[0]
            data = data[part]
        return YamlDocument(data, node)

    def lines_of(self, path: Sequence[str | int]) -> range:
        """The lines the value at `path` spans (empty when the path does not exist)."""
        node: Node = self.node
        for part in path:
            found = _child(node, part)
            if found is None:
                return range(0)
            node = found[0]
        return range(node.start_mark.line + 1, node.end_mark.line + 2)

    def line_of(self, path: Sequence[str | int]) -> int:
        """Line of the deepest key or item along `path` that exists in this document."""
        node, line = self.node, self.line
        for part in path:
            found = _child(node, part)
            if found is None:
                break
            node, line = found
        return line


def _child(node: Node, part: str | int) -> tuple[Node, int] | None:
    """The node under a mapping key or sequence index, with the line a person would point at."""
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if isinstance(key, ScalarNode) and key.value == str(part):
                return value, key.start_mark.line + 1
    elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        item: Node = node.value[part]
        return item, item.start_mark.line + 1
    return None


def check_size(path: Path, limits: YamlLimits = DEFAULT_LIMITS) -> None:
    """Raise YamlRejected when the file is over the size limit (checked before reading it)."""
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise YamlRejected(
            "GUARD-FILE-TOO-LARGE",
            f"file is {size} bytes, over the {limits.max_bytes}-byte limit; split it or keep the data out of git",
        )


def read_text(path: Path, limits: YamlLimits = DEFAULT_LIMITS) -> str:
    """Read a file as UTF-8 within the size limit, or raise YamlRejected."""
    check_size(path, limits)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise YamlRejected(
            "GUARD-NOT-UTF8", f"byte {error.start} is not valid UTF-8; save the file as UTF-8", line
        ) from None
    if "\x00" in text:
        raise YamlRejected("GUARD-NOT-UTF8", "file contains NUL bytes; it is binary, not text", None)
    return text


def load_yaml_file(path: Path, limits: YamlLimits = DEFAULT_LIMITS) -> list[YamlDocument]:
    return load_yaml_text(read_text(path, limits), limits)


def load_yaml_text(text: str, limits: YamlLimits = DEFAULT_LIMITS) -> list[YamlDocument]:
    """Parse every non-empty document, checking aliases and duplicate keys before construction."""
    loader = _Loader(text)
    documents: list[YamlDocument] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            _inspect(node, limits)
            data = loader.construct_document(node)
            if data is not None:
                documents.append(YamlDocument(data, node))
            if len(documents) > limits.max_documents:
                raise YamlRejected(
                    "GUARD-FILE-TOO-LARGE",
                    f"file holds more than {limits.max_documents} documents; split it",
                    node.start_mark.line + 1,
                )
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        problem = error.problem or error.context or "invalid YAML"
        raise YamlRejected("GUARD-YAML-SYNTAX", f"invalid YAML: {problem}", line) from None
    except yaml.YAMLError as error:
        raise YamlRejected("GUARD-YAML-SYNTAX", f"invalid YAML: {error}", None) from None
    finally:
        loader.dispose()
    return documents


def _inspect(root: Node, limits: YamlLimits) -> None:
    """Walk each node once; count repeated visits (aliases) and reject duplicate mapping keys."""
    seen: set[int] = set()
    aliases = 0
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            aliases += 1
            if aliases > limits.max_aliases:
                raise YamlRejected(
                    "GUARD-YAML-ALIASES",
                    f"more than {limits.max_aliases} YAML aliases in one document (possible billion-laughs "
                    "bomb); write the values out instead of aliasing them",
                    node.start_mark.line + 1,
                )
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            keys: set[tuple[str, str]] = set()
            for key, value in node.value:
                if isinstance(key, ScalarNode) and key.tag != _MERGE_TAG:
                    if (key.tag, key.value) in keys:
                        raise YamlRejected(
                            "GUARD-YAML-DUPLICATE-KEY",
                            f"duplicate key {key.value!r}; YAML parsers disagree on which value wins, keep exactly one",
                            key.start_mark.line + 1,
                        )
                    keys.add((key.tag, key.value))
                stack.append(key)
                stack.append(value)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)


def load_trusted_yaml(text: str) -> list[Any]:
    """Fast load of YAML a tool wrote (kustomize output), with the same scalar rules as above."""
    return [data for data in yaml.load_all(text, Loader=_Loader) if data is not None]
