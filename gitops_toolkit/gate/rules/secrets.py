"""Credentials in rendered resources: Secrets generated with data, and credentials written into
ConfigMaps, env values or annotations (Polaris sensitiveContainerEnvVar / sensitiveConfigmapContent,
kube-linter env-var-secret, checkov CKV_K8S_35, kubescape C-0012). Secret files in git are found by
gitops_toolkit.gate.secret_scan, over every tracked file."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_toolkit.gate.findings import Finding
from gitops_toolkit.gate.rules.index import ResourceIndex
from gitops_toolkit.gate.secret_patterns import is_credential_name, secrets_in

_SEALED_SECRETS = "seal it with kubeseal and commit the SealedSecret instead"
# Switches and numbers are settings even under a credential-like name (ENABLE_AUTH: "true").
_NOT_CREDENTIALS = {"true", "false", "yes", "no", "on", "off", "enabled", "disabled", "none", "null"}


def _leak(name: str, value: Any) -> str | None:
    """Why `name: value` is a credential, or None. An empty name checks the value only."""
    if not isinstance(value, str) or not value.strip():
        return None
    kinds = list(secrets_in(value))
    if kinds:
        return f"holds a {kinds[0]}"
    literal = not value.startswith(("$(", "${")) and value.lower() not in _NOT_CREDENTIALS and not value.isdigit()
    if name and is_credential_name(name) and literal:
        return "is named like a credential and has a literal value"
    return None


def check_generated_secrets(index: ResourceIndex) -> Iterator[Finding]:
    for secret in index.of_kind("Secret"):
        if secret.source is None and (secret.obj.get("data") or secret.obj.get("stringData")):
            yield secret.finding(
                "SECRET-PLAINTEXT",
                f"a secretGenerator puts Secret {secret.ref.name} into git in plain text; {_SEALED_SECRETS}",
            )


def check_config_maps(index: ResourceIndex) -> Iterator[Finding]:
    for config_map in index.of_kind("ConfigMap"):
        for key, value in (config_map.obj.get("data") or {}).items():
            why = _leak(str(key), value)
            if why:
                yield config_map.finding(
                    "SECRET-IN-CONFIGMAP",
                    f"key `{key}` {why}; move it to a SealedSecret and mount that",
                    ("data", str(key)),
                )


def check_env_values(index: ResourceIndex) -> Iterator[Finding]:
    for pod, container in index.containers():
        for position, item in enumerate(container.body.get("env") or []):
            if not isinstance(item, dict):
                continue
            why = _leak(str(item.get("name", "")), item.get("value"))
            if why:
                yield pod.resource.finding(
                    "SECRET-IN-ENV",
                    f"container `{container.name}` env {item.get('name')} {why}; read it from a Secret "
                    "(valueFrom.secretKeyRef, from a SealedSecret), preferably mounted as a file",
                    (*container.path, "env", position, "value"),
                )


def check_annotations(index: ResourceIndex) -> Iterator[Finding]:
    """By value only: annotations such as `auth-secret` legitimately name a Secret."""
    for resource in index.resources:
        for key, value in (resource.metadata.get("annotations") or {}).items():
            why = _leak("", value)
            if why:
                yield resource.finding(
                    "SECRET-IN-ANNOTATION",
                    f"annotation `{key}` {why}; annotations are readable by anyone who can list the object: "
                    "remove it and keep the value in a SealedSecret",
                    ("metadata", "annotations", str(key)),
                )
