"""The platform host's settings (the inventory's `platform:` section, every one defaulted): the names GitLab and
its registry answer at, the pinned releases, the group that holds the two projects, the runner."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_toolkit.core.machines import DEFAULT_DOMAIN, DEFAULT_REGISTRY_PORT
from gitops_toolkit.hosts.pins import GITLAB_VERSION, RUNNER_VERSION

# The two projects the bootstrap creates: the application team's, and the one Argo CD reads (this repository).
APP_PROJECT, GITOPS_PROJECT = "app-repo", "gitops-repo"
# Beside the inventory: the platform host's CA certificate, copied home by the bootstrap (public, not a secret).
PLATFORM_CA_FILE = "platform-ca.crt"


@dataclass(frozen=True)
class PlatformSettings:
    ca_file: Path  # where the bootstrap keeps the CA's certificate on the operator's machine
    domain: str = DEFAULT_DOMAIN
    gitlab_version: str = GITLAB_VERSION
    runner_version: str = RUNNER_VERSION
    registry_port: int = DEFAULT_REGISTRY_PORT
    group: str = "platform"
    runner_concurrent: int = 2
    name_resolution: str = "hosts"  # or "dns"

    @property
    def gitlab_name(self) -> str:
        return f"gitlab.{self.domain}"

    @property
    def registry_name(self) -> str:
        return f"registry.{self.domain}"

    @property
    def registry(self) -> str:
        return f"{self.registry_name}:{self.registry_port}"

    def project_url(self, project: str) -> str:
        return f"https://{self.gitlab_name}/{self.group}/{project}.git"


def platform_settings(data: dict[str, Any], ca_file: Path) -> PlatformSettings:
    runner = data.get("runner") or {}
    return PlatformSettings(
        ca_file,
        str(data.get("domain", DEFAULT_DOMAIN)),
        str(data.get("gitlabVersion", GITLAB_VERSION)),
        str(data.get("runnerVersion", RUNNER_VERSION)),
        int(data.get("registryPort", DEFAULT_REGISTRY_PORT)),
        str(data.get("group", "platform")),
        int(runner.get("concurrent", 2)),
        str(data.get("nameResolution", "hosts")),
    )


# On the platform host: the bootstrap's state, the CA (its key never leaves the host), and what GitLab's API handed
# out once (tokens), every secret in a file only root reads.
STATE = "/etc/gitops-platform"
CA_KEY, CA_CERTIFICATE = f"{STATE}/ca/ca.key", f"{STATE}/ca/ca.crt"
API_TOKEN = f"{STATE}/api-token"
TOKENS = f"{STATE}/tokens"
# The tokens the bootstrap creates, by file name: the runner's, Argo CD's (read_repository on gitops-repo), the
# cluster's image pulls (read_registry on app-repo), and app-repo's CI (GITOPS_TOKEN, write_repository).
RUNNER_TOKEN, ARGOCD_TOKEN, PULL_TOKEN, BUMP_TOKEN = "runner", "argocd", "cluster-pull", "gitops-bump"
TOKEN_FILES = tuple(f"{TOKENS}/{name}" for name in (RUNNER_TOKEN, ARGOCD_TOKEN, PULL_TOKEN, BUMP_TOKEN))
