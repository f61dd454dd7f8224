"""Load YAML that a person or an attacker wrote, without hanging, crashing or losing lines.

PyYAML keeps the last of two duplicate keys silently and returns shared alias nodes that blow up
whatever walks them (billion laughs). This module bounds file size, what the alias graph expands to
and how deep a document nests, rejects duplicate keys and bad encodings, accepts what YAML 1.2
allows (redefined anchors, application tags), and keeps every document's node tree for line look-ups.
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


_NO_TIMESTAMPS = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _untagged(loader: SafeConstructor, node: Node) -> Any:
    """An application tag (`!reference`, `!Ref`, `!vault`) is read as the plain value it tags."""
    if isinstance(node, MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


class _Loader(yaml.CSafeLoader):
    """Safe loader (libyaml) that reads dates as strings (as Kubernetes does), the `=` value key as a string,
    and application tags as plain values."""

    yaml_implicit_resolvers = _NO_TIMESTAMPS


class _RedefiningLoader(yaml.SafeLoader):
    """The pure-Python loader with the same rules, for the rare file that redefines an anchor: YAML 1.2 lets
    an alias name the latest definition; libyaml's composer refuses it."""

    yaml_implicit_resolvers = _NO_TIMESTAMPS

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if not self.check_event(yaml.AliasEvent):
            anchor = self.peek_event().anchor  # type: ignore[no-untyped-call]
            if anchor is not None:
                self.anchors.pop(anchor, None)
        return super().compose_node(parent, index)


for _loader_class in (_Loader, _RedefiningLoader):
    # A bare `=` is the YAML 1.1 "value" type; Kubernetes CRDs use it as an ordinary string.
    _loader_class.add_constructor("tag:yaml.org,2002:value", SafeConstructor.construct_yaml_str)  # type: ignore[type-var]
    _loader_class.add_constructor(None, _untagged)  # type: ignore[type-var]


@dataclass(frozen=True)
class YamlLimits:
    # Bounds the work of one file, not what the API server accepts: its limits are per object (API-OBJECT-SIZE).
    max_bytes: int = 16 * 1024 * 1024
    max_aliases: int = 1000
    # nodes aliases may add once expanded: a billion-laughs file adds billions from a few hundred bytes
    max_alias_expansion: int = 100_000
    # Kubernetes objects nest about 20 levels deep, the deepest CRD schemas about 40
    max_depth: int = 100
    max_documents: int = 1000


DEFAULT_LIMITS = YamlLimits()


# Rejections that mean "parsing this elsewhere could exhaust memory or the stack": such a file must never
# reach another YAML parser (kustomize, detect-secrets), wherever it sits in the repository.
UNSAFE_RULES = frozenset({"GUARD-YAML-ALIASES", "GUARD-YAML-DEPTH"})


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
    """Parse every non-empty document, checking the node graph before anything is constructed."""
    try:
        return _load(_Loader(text), limits)
    except yaml.composer.ComposerError as error:
        if "found duplicate anchor" not in str(error):
            raise _syntax_error(error) from None
        return _load(_RedefiningLoader(text), limits)


def _load(loader: yaml.CSafeLoader | yaml.SafeLoader, limits: YamlLimits) -> list[YamlDocument]:
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
    except yaml.composer.ComposerError:
        raise
    except yaml.MarkedYAMLError as error:
        raise _syntax_error(error) from None
    except yaml.YAMLError as error:
        raise YamlRejected("GUARD-YAML-SYNTAX", f"invalid YAML: {error}", None) from None
    finally:
        loader.dispose()
    return documents


def _syntax_error(error: yaml.MarkedYAMLError) -> YamlRejected:
    mark = error.problem_mark or error.context_mark
    problem = error.problem or error.context or "invalid YAML"
    return YamlRejected("GUARD-YAML-SYNTAX", f"invalid YAML: {problem}", mark.line + 1 if mark else None)


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def _inspect(root: Node, limits: YamlLimits) -> None:
    """One iterative walk of the node graph (each shared node once): duplicate keys, alias count, a recursive
    alias, how many nodes the aliases add once expanded, and the expanded depth. Nothing here recurses."""
    size: dict[int, int] = {}  # id(node) -> nodes once expanded
    height: dict[int, int] = {}  # id(node) -> levels once expanded
    open_nodes: set[int] = set()
    aliases = 0
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        children = _children(node)
        if finished:
            open_nodes.discard(key)
            size[key] = 1 + sum(size[id(child)] for child in children)
            height[key] = 1 + max((height[id(child)] for child in children), default=0)
            if (added := size[key] - len(size)) > limits.max_alias_expansion:  # len(size): distinct nodes so far
                raise YamlRejected(
                    "GUARD-YAML-ALIASES",
                    f"YAML aliases expand this value by more than {added} nodes, over the "
                    f"{limits.max_alias_expansion} limit (a billion-laughs bomb, or repetition that belongs in a "
                    "kustomize component); write the values out",
                    node.start_mark.line + 1,
                )
            if height[key] > limits.max_depth:
                raise YamlRejected(
                    "GUARD-YAML-DEPTH",
                    f"nests more than {limits.max_depth} levels deep; no Kubernetes object or values file needs "
                    "that, flatten it",
                    node.start_mark.line + 1,
                )
            continue
        if key in open_nodes:
            raise YamlRejected(
                "GUARD-YAML-ALIASES",
                "an alias refers to a node that contains it (a recursive structure); write the values out",
                node.start_mark.line + 1,
            )
        if key in size:
            aliases += 1
            if aliases > limits.max_aliases:
                raise YamlRejected(
                    "GUARD-YAML-ALIASES",
                    f"more than {limits.max_aliases} YAML aliases in one document; write the values out",
                    node.start_mark.line + 1,
                )
            continue
        if isinstance(node, MappingNode):
            _reject_duplicate_keys(node)
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(children))


def _reject_duplicate_keys(node: MappingNode) -> None:
    keys: set[tuple[str, str]] = set()
    for key, _ in node.value:
        if isinstance(key, ScalarNode) and key.tag != _MERGE_TAG:
            if (key.tag, key.value) in keys:
                raise YamlRejected(
                    "GUARD-YAML-DUPLICATE-KEY",
                    f"duplicate key `{key.value}`; YAML parsers disagree on which value wins, keep exactly one",
                    key.start_mark.line + 1,
                )
            keys.add((key.tag, key.value))


def load_trusted_yaml(text: str) -> list[Any]:
    """Fast load of YAML a tool wrote (kustomize output), with the same scalar rules as above."""
    return [data for data in yaml.load_all(text, Loader=_Loader) if data is not None]
