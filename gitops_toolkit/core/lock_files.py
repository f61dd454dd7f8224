"""Reading the repository's lock files (crds.lock.yaml, charts.lock.yaml): one YAML document holding a list of
entries, each a map of required text fields, with the line of each entry for messages."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from gitops_toolkit.core.bounded_yaml import YamlRejected, load_yaml_file
from gitops_toolkit.core.errors import ToolError

SHA256 = re.compile(r"^[0-9a-f]{64}$")
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class LockError(ToolError):
    """A lock file itself is wrong: where, and what to change."""

    def __init__(self, lock_file: Path, line: int, message: str) -> None:
        super().__init__(f"{lock_file}:{line}: {message}")
        self.line = line
        self.message = message


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_entries(root: Path, lock_file: Path, key: str, fields: tuple[str, ...]) -> list[tuple[dict[str, str], int]]:
    """Each entry under `key` as {field: text} with its line, or [] when the repository has no such lock.
    Every field must be present and non-empty, and `sha256` (when asked for) 64 lower-case hex digits."""
    path = root / lock_file
    if not path.is_file():
        return []
    try:
        documents = load_yaml_file(path)
    except YamlRejected as error:
        raise LockError(lock_file, error.line or 1, error.message) from None
    document = documents[0] if len(documents) == 1 else None
    entries = document.data.get(key) if document and isinstance(document.data, dict) else None
    if document is None or not isinstance(entries, list):
        raise LockError(lock_file, 1, f"expected one document with a list under `{key}:`")
    found: list[tuple[dict[str, str], int]] = []
    for position, entry in enumerate(entries):
        line = document.line_of([key, position])
        values = {name: str(entry.get(name, "")) for name in fields} if isinstance(entry, dict) else {}
        if not values or not all(values.values()) or ("sha256" in values and not SHA256.match(values["sha256"])):
            raise LockError(
                lock_file,
                line,
                f"each entry needs {', '.join(fields)}"
                + (" (sha256: 64 lower-case hex digits)" if "sha256" in fields else ""),
            )
        found.append((values, line))
    return found
