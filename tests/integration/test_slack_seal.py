"""`invoke slack.seal`: the webhooks are sealed so that only the controller's private key opens them (checked
by opening them here with a key the test made), the SealedSecret passes the gate, and nothing is in clear."""

from __future__ import annotations

import base64
import datetime
import struct
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

from gitops_toolkit.alerts.slack import DIRECTORY, FILE_NAME
from tests.conftest import invoke, nox_validate

pytestmark = pytest.mark.integration


def controller_key(directory: Path) -> tuple[rsa.RSAPrivateKey, Path]:
    """A key pair and self-signed certificate like the one the Sealed Secrets controller publishes."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sealed-secret")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    path = directory / "cert.pem"
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key, path


def unseal(key: rsa.RSAPrivateKey, value: str, label: str) -> str:
    """What the controller does: split, RSA-OAEP the session key, AES-GCM the value."""
    raw = base64.b64decode(value)
    (length,) = struct.unpack(">H", raw[:2])
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=label.encode())
    session_key = key.decrypt(raw[2 : 2 + length], oaep)
    return AESGCM(session_key).decrypt(bytes(12), raw[2 + length :], None).decode()


def test_sealed_webhooks_open_only_with_the_controller_key(repository_copy: Path, tmp_path: Path) -> None:
    key, certificate = controller_key(tmp_path)
    webhook = "https://hooks.slack.com/" + "services/" + "T0AAAA/B0BBBB/" + "c" * 24
    heartbeat = "https://hc-ping.example.org/" + "0" * 8
    completed = invoke(
        repository_copy,
        "slack.seal",
        "--cert",
        str(certificate),
        "--webhook-url",
        webhook,
        "--heartbeat-url",
        heartbeat,
    )
    assert completed.returncode == 0, completed.stderr
    sealed_file = repository_copy / DIRECTORY / FILE_NAME
    text = sealed_file.read_text()
    assert webhook not in text and heartbeat not in text
    sealed = yaml.safe_load(text)
    values = sealed["spec"]["encryptedData"]
    assert unseal(key, values["webhook-url"], "monitoring/alertmanager-slack") == webhook
    assert unseal(key, values["heartbeat-url"], "monitoring/alertmanager-slack") == heartbeat
    with pytest.raises(ValueError):
        unseal(key, values["webhook-url"], "default/alertmanager-slack")  # bound to its namespace and name
    assert FILE_NAME in yaml.safe_load((repository_copy / DIRECTORY / "kustomization.yaml").read_text())["resources"]
    assert nox_validate(repository_copy) == ""


def test_a_bad_certificate_changes_nothing(repository_copy: Path, tmp_path: Path) -> None:
    (tmp_path / "cert.pem").write_text("not a certificate")
    before = (repository_copy / DIRECTORY / "kustomization.yaml").read_text()
    completed = invoke(
        repository_copy,
        "slack.seal",
        "--cert",
        str(tmp_path / "cert.pem"),
        "--webhook-url",
        "https://hooks.example.org/x",
        "--heartbeat-url",
        "https://hc.example.org/y",
    )
    assert completed.returncode == 2 and "not a PEM certificate" in completed.stderr
    assert (repository_copy / DIRECTORY / "kustomization.yaml").read_text() == before
    assert not (repository_copy / DIRECTORY / FILE_NAME).exists()
