"""Images: pinned (an exact tag or a digest), only from the registries the site allows, and pulled with a
credential from the platform's registry."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.image_tags import COMMIT_SHA
from gitops_toolkit.gate.rules.index import PodTemplate, ResourceIndex

_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class ImageReference:
    registry: str
    repository: str
    tag: str
    digest: str

    @property
    def name(self) -> str:
        """Fully qualified name without tag or digest, e.g. docker.io/library/redis."""
        return f"{self.registry}/{self.repository}"


def parse_image(image: str) -> ImageReference:
    """Split an image reference the way container runtimes do (Docker Hub is the default registry)."""
    name, _, digest = image.partition("@")
    slash = name.find("/")
    first = name[:slash] if slash >= 0 else ""
    if first and ("." in first or ":" in first or first == "localhost"):
        registry, rest = first, name[slash + 1 :]
    else:
        registry, rest = "docker.io", name
        if "/" not in rest:
            rest = f"library/{rest}"
    repository, _, tag = rest.rpartition(":") if ":" in rest else (rest, "", "")
    return ImageReference(registry, repository, tag, digest)


def check_image_tags(index: ResourceIndex) -> Iterator[Finding]:
    for pod, container in index.containers():
        image = str(container.body.get("image", ""))
        reference = parse_image(image)
        if _DIGEST.search(image) or COMMIT_SHA.match(reference.tag):
            continue  # a digest, or the commit SHA a CI build is tagged with: both name one build
        if not reference.tag or reference.tag == "latest" or not any(ch.isdigit() for ch in reference.tag):
            problem = f"tag `{reference.tag}` floats" if reference.tag else "no tag means `latest`"
            yield pod.resource.finding(
                "IMAGE-TAG",
                f"container `{container.name}` image {image}: {problem}; pin an exact version tag or a digest",
                (*container.path, "image"),
            )


def _allowed(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix.rstrip("/") or name.startswith(prefix.rstrip("/") + "/") for prefix in prefixes)


def check_image_registries(index: ResourceIndex) -> Iterator[Finding]:
    allowed = index.config.allowed_registries
    if not allowed:
        return
    for pod, container in index.containers():
        image = str(container.body.get("image", ""))
        if not _allowed(parse_image(image).name, allowed):
            yield pod.resource.finding(
                "IMAGE-REGISTRY",
                f"container `{container.name}` image {image} is not from an allowed registry; mirror it or add "
                "its registry to allowed-registries in pyproject.toml",
                (*container.path, "image"),
            )


def _pull_secrets(index: ResourceIndex, pod: PodTemplate) -> list[Any]:
    """What the kubelet pulls with: the pod's imagePullSecrets, and its ServiceAccount's, which the ServiceAccount
    admission plugin copies into the pod when it is created."""
    secrets = list(pod.spec.get("imagePullSecrets") or [])
    account = index.get("ServiceAccount", pod.namespace, str(pod.spec.get("serviceAccountName") or "default"))
    if account is not None:
        secrets += list(account.obj.get("imagePullSecrets") or [])
    return [secret for secret in secrets if isinstance(secret, dict) and secret.get("name")]


def check_image_pull_secrets(index: ResourceIndex) -> Iterator[Finding]:
    """Images from the inventory's platform registry (GitLab's, whose private projects refuse anonymous pulls)."""
    cluster = index.repository.cluster
    registry = cluster.platform_registry if cluster else ""
    if not registry:
        return
    for pod, container in index.containers():
        image = str(container.body.get("image", ""))
        if parse_image(image).registry != registry or _pull_secrets(index, pod):
            continue
        yield pod.resource.finding(
            "IMAGE-PULL-SECRET",
            f"container `{container.name}` image {image} comes from the platform's registry, which refuses "
            "anonymous pulls (the kubelet reports ErrImagePull), and neither the pod nor its ServiceAccount names "
            "imagePullSecrets; add `imagePullSecrets: [{name: registry-pull}]` (`invoke bootstrap` creates it, "
            "`invoke platform.seal` seals it into git)",
            (*container.path, "image"),
        )
