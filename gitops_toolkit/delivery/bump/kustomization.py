"""The `images:` entries of an overlay's kustomization.yaml, read and edited as a round trip: comments, key
order and the layout of everything else stay byte for byte; the file is replaced whole or not at all."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from gitops_toolkit.core.atomic_files import write_atomic
from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.core.image_tags import is_digest

KUSTOMIZATION = "kustomization.yaml"


@dataclass(frozen=True)
class ImagePin:
    service: str
    tag: str  # a tag, or a sha256: digest
    new_name: str = ""  # the registry's name for it, when it is pulled from elsewhere than the base says


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _set(entry: CommentedMap, key: str, value: str) -> None:
    """Set a value, keeping the gap before the comment at the end of its line as it was."""
    old = entry.get(key)
    if old == value:
        return
    entry[key] = value
    comment = entry.ca.items.get(key, [None, None, None])[2]
    if old is not None and comment is not None:
        comment.column = max(comment.column + len(value) - len(str(old)), 0)


def _service(entry: Any) -> str:
    name = str(entry.get("newName") or entry.get("name") or "")
    return name.rsplit("/", 1)[-1]


class Kustomization:
    def __init__(self, overlay: Path) -> None:
        self.path = overlay / KUSTOMIZATION
        try:
            self.text = self.path.read_text(encoding="utf-8")
            self.data = _yaml().load(self.text)
        except OSError as error:
            raise ToolError(f"{self.path}: cannot read it ({error.strerror})") from None
        except YAMLError as error:
            line = getattr(getattr(error, "problem_mark", None), "line", 0) + 1
            raise ToolError(f"{self.path}:{line}: not valid YAML; fix it first") from None
        if not isinstance(self.data, CommentedMap):
            raise ToolError(f"{self.path}: not a kustomization (a mapping)")

    def entries(self) -> list[Any]:
        images = self.data.get("images")
        return [entry for entry in images if isinstance(entry, dict)] if isinstance(images, list) else []

    def pins(self) -> dict[str, ImagePin]:
        """{service: its pin} for every entry with a tag or digest."""
        pins = {}
        for entry in self.entries():
            tag = str(entry.get("digest") or entry.get("newTag") or "")
            if tag:
                pins[_service(entry)] = ImagePin(_service(entry), tag, str(entry.get("newName") or ""))
        return pins

    def pin(self, pin: ImagePin, base_name: str) -> None:
        """Point the service's entry at the tag (adding the entry, named after the base's image, if missing)."""
        entry = next((e for e in self.entries() if _service(e) == pin.service or e.get("name") == base_name), None)
        if entry is None:
            if not isinstance(self.data.get("images"), list):
                self.data["images"] = CommentedSeq()
            entry = CommentedMap(name=base_name)
            self.data["images"].append(entry)
        if pin.new_name:
            _set(entry, "newName", pin.new_name)
        keep, drop = ("digest", "newTag") if is_digest(pin.tag) else ("newTag", "digest")
        _set(entry, keep, pin.tag)
        if drop in entry:
            del entry[drop]

    def rendered(self) -> str:
        out = io.StringIO()
        _yaml().dump(self.data, out)
        return out.getvalue()

    def save(self) -> bool:
        """Write the edited file (atomically); False when nothing changed."""
        text = self.rendered()
        if text == self.text:
            return False
        write_atomic(self.path, text)
        self.text = text
        return True
