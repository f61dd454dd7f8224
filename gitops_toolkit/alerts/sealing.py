"""Seal a Secret for the cluster's Sealed Secrets controller, in Python, from its public certificate
(`kubeseal --fetch-cert`): the same hybrid encryption the controller reverses. Per value: a random 32-byte
session key encrypts the value with AES-256-GCM (zero nonce: each key is used once); RSA-OAEP (SHA-256),
labelled with the scope, encrypts the session key; the result is len(rsa) as two big-endian bytes, the RSA
ciphertext, then the AES-GCM ciphertext, base64-encoded."""

from __future__ import annotations

import base64
import os
import struct
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

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


def sealed_secret(key: rsa.RSAPublicKey, namespace: str, name: str, values: Mapping[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "bitnami.com/v1alpha1",
        "kind": "SealedSecret",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "encryptedData": {k: seal_value(key, namespace, name, v.encode()) for k, v in sorted(values.items())},
            "template": {"metadata": {"name": name, "namespace": namespace}, "type": "Opaque"},
        },
    }
