"""Credentials in rendered resources: Secrets generated with data, and credentials written into
ConfigMaps, env values or annotations (Polaris sensitiveContainerEnvVar / sensitiveConfigmapContent,
kube-linter env-var-secret, checkov CKV_K8S_35, kubescape C-0012). Secret files in git are found by
gitops_toolkit.gate.rules.secret_scan, over every tracked file."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.secret_patterns import is_credential_name, is_placeholder, names_a_secret, secrets_in
from gitops_toolkit.gate.rules.index import ResourceIndex
from gitops_toolkit.render.applications import sources

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
    if name and is_credential_name(name) and literal and not names_a_secret(name, value) and not is_placeholder(value):
        return "is named like a credential and has a literal value"
    return None


def check_generated_secrets(index: ResourceIndex) -> Iterator[Finding]:
    for secret in index.of_kind("Secret"):
        if secret.source is None and (secret.obj.get("data") or secret.obj.get("stringData")):
            yield secret.finding(
                "SECRET-PLAINTEXT",
                f"a secretGenerator puts Secret {secret.ref.name} into git in plain text; {_SEALED_SECRETS}",
            )


def _decoded(value: Any) -> str:
    try:
        return base64.b64decode(str(value), validate=True).decode("utf-8", errors="replace")
    except ValueError:
        return ""


def check_config_maps(index: ResourceIndex) -> Iterator[Finding]:
    for config_map in index.of_kind("ConfigMap"):
        entries = [("data", key, value, str(key)) for key, value in (config_map.obj.get("data") or {}).items()]
        entries += [
            ("binaryData", key, _decoded(value), "") for key, value in (config_map.obj.get("binaryData") or {}).items()
        ]
        for field, key, value, name in entries:
            why = _leak(name, value)
            if why:
                yield config_map.finding(
                    "SECRET-IN-CONFIGMAP",
                    f"key `{key}` {why}; move it to a SealedSecret and mount that",
                    (field, str(key)),
                )


def _values_leaks(values: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str, str]]:
    """(path, key, why) of every credential written into Helm values given inline."""
    stack: list[tuple[Any, tuple[str | int, ...], str]] = [(values, path, "")]
    while stack:
        value, where, key = stack.pop()
        if isinstance(value, dict):
            stack.extend((child, (*where, str(name)), str(name)) for name, child in value.items())
        elif isinstance(value, list):
            stack.extend((child, (*where, position), key) for position, child in enumerate(value))
        elif (why := _leak(key, value)) is not None:
            yield where, key, why


def check_application_values(index: ResourceIndex) -> Iterator[Finding]:
    """Helm parameters, `valuesObject` and inline `values` of an Application live in git like any manifest."""
    for application in index.of_kind("Application"):
        for source in sources(application):
            helm = source.body.get("helm")
            helm = helm if isinstance(helm, dict) else {}
            leaks = list(_values_leaks(helm.get("valuesObject"), (*source.path_in_manifest, "helm", "valuesObject")))
            for position, parameter in enumerate(helm.get("parameters") or []):
                if isinstance(parameter, dict) and (
                    why := _leak(str(parameter.get("name", "")), parameter.get("value"))
                ):
                    path = (*source.path_in_manifest, "helm", "parameters", position, "value")
                    leaks.append((path, str(parameter.get("name")), why))
            for line in str(helm.get("values") or "").splitlines():
                name, _, value = line.partition(":")
                if why := _leak(name.strip(), value.strip().strip("'\"")):
                    leaks.append(((*source.path_in_manifest, "helm", "values"), name.strip(), why))
            for path, key, why in leaks:
                yield application.finding(
                    "SECRET-IN-APPLICATION",
                    f"Helm value `{key}` {why}; point the chart at a Secret (most charts take `existingSecret`) "
                    "delivered as a SealedSecret",
                    path,
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
