"""Seal a Secret for the cluster's Sealed Secrets controller, in Python, from its public certificate
(`kubeseal --fetch-cert`): the same hybrid encryption the controller reverses; and list the sealed file among its
kustomization's resources. Per value: a random 32-byte
session key encrypts the value with AES-256-GCM (zero nonce: each key is used once); RSA-OAEP (SHA-256),
labelled with the scope, encrypts the session key; the result is len(rsa) as two big-endian bytes, the RSA
ciphertext, then the AES-GCM ciphertext, base64-encoded."""

from __future__ import annotations

import base64
import os
import struct
from collections.abc import Mapping
from io import StringIO
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from gitops_toolkit.core.errors import ToolError


def public_key(certificate_pem: bytes) -> rsa.RSAPublicKey:
    try:
        key = x509.load_pem_x509_certificate(certificate_pem).public_key()
    except ValueError as error:
        raise ToolError(f"not a PEM certificate ({error}); fetch it with `kubeseal --fetch-cert`") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ToolError("the certificate's key is not RSA; is it the Sealed Secrets controller's certificate?")
    return key


def _oaep(label: bytes) -> padding.OAEP:
    return padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=label)


def seal_value(key: rsa.RSAPublicKey, namespace: str, name: str, value: bytes) -> str:
    """One encrypted value, bound to `namespace/name` (the controller's default, strict scope)."""
    session_key = os.urandom(32)
    encrypted_key = key.encrypt(session_key, _oaep(f"{namespace}/{name}".encode()))
    encrypted_value = AESGCM(session_key).encrypt(bytes(12), value, None)
    return base64.b64encode(struct.pack(">H", len(encrypted_key)) + encrypted_key + encrypted_value).decode()


def sealed_secret(
    key: rsa.RSAPublicKey,
    namespace: str,
    name: str,
    values: Mapping[str, str],
    secret_type: str = "Opaque",
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A SealedSecret whose Secret has this type and these labels (the template the controller copies)."""
    metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels:
        metadata["labels"] = dict(labels)
    return {
        "apiVersion": "bitnami.com/v1alpha1",
        "kind": "SealedSecret",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "encryptedData": {k: seal_value(key, namespace, name, v.encode()) for k, v in sorted(values.items())},
            "template": {"metadata": metadata, "type": secret_type},
        },
    }


def listed_in(kustomization: Path, file_name: str, text: str | None = None) -> str:
    """The kustomization's text (`text`, or the file's) with `file_name` among its resources, comments and layout
    kept."""
    editor = YAML()
    editor.width = 4096
    editor.indent(mapping=2, sequence=4, offset=2)  # "  - item", as the repository's files and yamllint have it
    try:
        document = editor.load(kustomization.read_text(encoding="utf-8") if text is None else text)
    except YAMLError as error:
        raise ToolError(f"{kustomization}: not valid YAML ({error}); fix it first") from None
    if not isinstance(document, dict):
        raise ToolError(f"{kustomization}: not a kustomization (a mapping)")
    resources = document.get("resources")
    if resources is None:
        document["resources"] = resources = []
    if file_name not in resources:
        resources.append(file_name)
    if hasattr(resources, "fa"):
        resources.fa.set_block_style()
    buffer = StringIO()
    editor.dump(document, buffer)
    return buffer.getvalue()
