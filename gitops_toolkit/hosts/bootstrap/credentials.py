"""The credentials the cluster needs from the platform host: Argo CD's for gitops-repo, and the image pull Secret
of each namespace the shop runs in (GitLab's registry refuses anonymous pulls of a private project). At bring-up
the Sealed Secrets controller is not running yet, so they are applied as plain Secrets it is told to take over
(`sealedsecrets.bitnami.com/managed`); `invoke platform.seal` then seals the same values into git."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from gitops_toolkit.core.bounded_yaml import YamlRejected, load_yaml_file
from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.hosts.inventory import Inventory

REPOSITORY_NAMESPACE, REPOSITORY_SECRET = "argocd", "gitops-repository"
REPOSITORY_LABELS = {"argocd.argoproj.io/secret-type": "repository"}  # how Argo CD finds its repositories
PULL_SECRET, PULL_TYPE, PULL_KEY = "registry-pull", "kubernetes.io/dockerconfigjson", ".dockerconfigjson"
# The Sealed Secrets controller replaces a Secret that carries this with its SealedSecret's; without it, it refuses.
MANAGED = {"sealedsecrets.bitnami.com/managed": "true"}
SHOP_APPLICATIONS = Path("gitops-repo") / "apps" / "online-boutique" / "applications"


@dataclass(frozen=True)
class Credential:
    """One Secret the cluster gets at bring-up. `values` is empty while its token is still to be made by GitLab."""

    marker: str  # the name of the record the control plane keeps of it, and of the change that applies it
    summary: str
    namespace: str
    name: str
    values: Mapping[str, str]
    secret_type: str = "Opaque"
    labels: Mapping[str, str] | None = None

    @property
    def pending(self) -> bool:
        return not self.values

    def manifest(self) -> str:
        metadata: dict[str, object] = {"name": self.name, "namespace": self.namespace, "annotations": dict(MANAGED)}
        if self.labels:
            metadata["labels"] = dict(self.labels)
        secret = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": metadata,
            "type": self.secret_type,
            "data": {key: base64.b64encode(value.encode()).decode() for key, value in self.values.items()},
        }
        return yaml.safe_dump(secret, sort_keys=False)


def repository_values(url: str, username: str, token: str) -> dict[str, str]:
    """Argo CD's repository Secret keys (GitLab reads any user name with an access token; a deploy token, its own)."""
    return {"type": "git", "url": url, "username": username, "password": token}


def pull_values(registry: str, username: str, token: str) -> dict[str, str]:
    """A `.dockerconfigjson` for one registry, as `kubectl create secret docker-registry` writes it."""
    auth = base64.b64encode(f"{username}:{token}".encode()).decode()
    entry = {"username": username, "password": token, "auth": auth}
    return {PULL_KEY: json.dumps({"auths": {registry: entry}}, separators=(",", ":"))}


def repository_credential(url: str, stored: str, source: str) -> Credential:
    """From a stored "username\\ntoken" (or a bare token); `stored` empty: made later in this run."""
    words = stored.split()
    username, token = (words[0], words[1]) if len(words) >= 2 else ("argocd", words[0] if words else "")
    summary = f"create Argo CD's credential for {url} from {source} (Secret {REPOSITORY_NAMESPACE}/{REPOSITORY_SECRET})"
    values = repository_values(url, username, token) if token else {}
    return Credential(
        "repository-credential", summary, REPOSITORY_NAMESPACE, REPOSITORY_SECRET, values, labels=REPOSITORY_LABELS
    )


def pull_credentials(root: Path, registry: str, stored: str) -> list[Credential]:
    """The image pull Secret of every namespace the shop's Applications deploy to."""
    words = stored.split()
    credentials = []
    for namespace, _ in shop_destinations(root):
        summary = (
            f"create the image pull Secret {namespace}/{PULL_SECRET} for {registry} from the platform's deploy token"
        )
        values = pull_values(registry, words[0], words[1]) if len(words) >= 2 else {}
        credentials.append(Credential(f"registry-pull-{namespace}", summary, namespace, PULL_SECRET, values, PULL_TYPE))
    return credentials


def shop_destinations(root: Path) -> list[tuple[str, Path]]:
    """(namespace, overlay path) of each Application under SHOP_APPLICATIONS, in file order."""
    destinations = []
    for path in sorted((root / SHOP_APPLICATIONS).glob("*.yaml")):
        try:
            documents = load_yaml_file(path)
        except (OSError, YamlRejected) as error:
            raise ToolError(f"{path.relative_to(root)}: cannot read it ({error})") from None
        for document in documents:
            data = document.data if isinstance(document.data, dict) else {}
            spec = data.get("spec") or {}
            namespace = str((spec.get("destination") or {}).get("namespace") or "")
            source_path = str((spec.get("source") or {}).get("path") or "")
            if data.get("kind") == "Application" and namespace and source_path:
                destinations.append((namespace, Path(source_path)))
    return destinations


def platform_credentials(
    root: Path, inventory: Inventory, repository: str = "", pull: str = ""
) -> tuple[Credential, ...]:
    """Argo CD's credential from the platform's deploy token argocd, and the pull Secrets from its deploy token
    cluster-pull, each given as stored on the platform host (pending when not made yet)."""
    assert inventory.platform is not None
    source = "the platform's deploy token argocd"
    credential = repository_credential(inventory.repository_url, repository, source)
    return (credential, *pull_credentials(root, inventory.platform.registry, pull))
