"""The backup archive: a tar of named members (the etcd snapshot, the cluster PKI, the objects to put back) with a
manifest of what it holds (each member's size and sha256, the snapshot's status), encrypted in memory to an age
recipient (pyrage). Only ciphertext is written, mode 0600 from the first byte; opening it needs the identity, and
each member is checked against the manifest before anything is restored."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyrage

from gitops_toolkit.core.errors import ToolError

MANIFEST = "manifest.json"
SUFFIX = ".tar.age"


def recipient(text: str) -> pyrage.x25519.Recipient:
    try:
        return pyrage.x25519.Recipient.from_str(text.strip())
    except Exception as error:  # pyrage raises its own RecipientError, not exported as a type
        raise ToolError(f"--recipient {text[:16]}...: not an age public key (age1...): {error}") from None


def identity(path: Path) -> pyrage.x25519.Identity:
    """The age identity in a key file (`age-keygen` writes comments, then the AGE-SECRET-KEY-1... line)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise ToolError(f"--identity {path}: cannot read it ({error.strerror})") from None
    keys = [line.strip() for line in lines if line.strip().startswith("AGE-SECRET-KEY-")]
    try:
        return pyrage.x25519.Identity.from_str(keys[0])
    except (IndexError, Exception):
        raise ToolError(f"--identity {path}: no age identity (AGE-SECRET-KEY-1...) in it") from None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sealed_archive(members: Mapping[str, bytes], about: Mapping[str, Any], to: pyrage.x25519.Recipient) -> bytes:
    """The members and their manifest as one tar, encrypted to `to`."""
    manifest = {
        **about,
        "members": {name: {"size": len(data), "sha256": _sha256(data)} for name, data in members.items()},
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in {MANIFEST: json.dumps(manifest, indent=2).encode(), **members}.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o600
            tar.addfile(info, io.BytesIO(data))
    return bytes(pyrage.encrypt(buffer.getvalue(), [to]))


@dataclass(frozen=True)
class OpenedArchive:
    manifest: dict[str, Any]
    members: dict[str, bytes]


def open_archive(path: Path, key: pyrage.x25519.Identity) -> OpenedArchive:
    """The archive decrypted in memory, every member checked against the manifest."""
    try:
        plain = pyrage.decrypt(path.read_bytes(), [key])
    except OSError as error:
        raise ToolError(f"--from {path}: cannot read it ({error.strerror})") from None
    except Exception as error:  # pyrage's DecryptError: wrong identity, or not an age file
        raise ToolError(f"--from {path}: cannot decrypt it with this identity ({error})") from None
    members: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(plain), mode="r") as tar:
        for info in tar.getmembers():
            extracted = tar.extractfile(info) if info.isfile() else None
            if extracted is not None:
                members[info.name] = extracted.read()
    manifest = json.loads(members.pop(MANIFEST, b"{}") or b"{}")
    listed = manifest.get("members", {})
    for name, expected in listed.items():
        if name not in members or _sha256(members[name]) != expected.get("sha256"):
            raise ToolError(f"--from {path}: {name} does not match the manifest; the archive is damaged")
    if set(members) - set(listed):
        raise ToolError(f"--from {path}: members the manifest does not list; not an archive of `invoke backup`")
    return OpenedArchive(manifest, members)


def write_archive(directory: Path, name: str, data: bytes) -> Path:
    """The encrypted archive, mode 0600 from the first byte, and its sha256 beside it (`sha256sum -c` reads it)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    temporary = path.with_name(f".{name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(data)
    os.replace(temporary, path)
    (directory / f"{name}.sha256").write_text(f"{_sha256(data)}  {name}\n", encoding="utf-8")
    return path
