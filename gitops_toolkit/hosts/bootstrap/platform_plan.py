"""The platform host's part of the plan and of the apply: the host's own changes, its CA copied home, then what
GitLab's API must create (asked of GitLab itself once it runs: the bootstrap's token is read from its root-only
file over SSH into memory, never shown), then the runner's configuration once the runner has its token."""

from __future__ import annotations

import base64
import binascii
import hashlib
import shlex
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.hosts.bootstrap.cluster_steps import ClusterInputs
from gitops_toolkit.hosts.bootstrap.credentials import platform_credentials
from gitops_toolkit.hosts.bootstrap.gitlab_objects import gitlab_changes, missing
from gitops_toolkit.hosts.bootstrap.node_steps import Change
from gitops_toolkit.hosts.bootstrap.platform_steps import (
    API_TOKEN_REGISTERED,
    PLATFORM_PHASE,
    platform_changes,
    runner_config_change,
    wanted_platform_packages,
)
from gitops_toolkit.hosts.bootstrap.site_names import names_change
from gitops_toolkit.hosts.inventory import Host, Inventory
from gitops_toolkit.hosts.platform_host import (
    API_TOKEN,
    ARGOCD_TOKEN,
    CA_CERTIFICATE,
    PULL_TOKEN,
    RUNNER_TOKEN,
    TOKENS,
)
from gitops_toolkit.hosts.probe import HostFacts, targets
from gitops_toolkit.tools.gitlab import GitLab
from gitops_toolkit.tools.ssh import SshSession

CA_HOME_KIND = "ca-home"
_ANSWER_WAIT_SECONDS = 600  # GitLab takes minutes to answer after its first reconfigure
_ANSWER_POLL_SECONDS = 5


def fingerprint(certificate: str) -> str:
    """The SHA-256 fingerprint of a PEM certificate, as `openssl x509 -fingerprint -sha256` prints it."""
    body = "".join(line for line in certificate.splitlines() if line and not line.startswith("-----"))
    try:
        digest = hashlib.sha256(base64.b64decode(body)).hexdigest().upper()
    except (binascii.Error, ValueError):
        return "(unreadable)"
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def read_secret_files(session: SshSession, host: Host, paths: list[str], timeout: float) -> dict[str, str]:
    """The content of root-only files on a host (absent ones left out), returned to memory, never logged."""
    command = (
        "; ".join(f'test -f {shlex.quote(p)} && echo "{p}=$(base64 -w0 < {shlex.quote(p)})"' for p in paths)
        + "; echo read"  # an empty answer would count as a failure
    )
    answer = session.run_command(targets([host]), command, timeout)[host.name]
    if answer.error:
        raise ToolError(f"{host.name} ({host.address}): cannot read the platform's tokens: {answer.error}")
    found = {}
    for line in (answer.output or "").splitlines():
        path, _, encoded = line.partition("=")
        if path in paths:
            found[path] = base64.b64decode(encoded).decode()
    return found


@contextmanager
def gitlab_api(host: Host, token: str, ca_certificate: str) -> Iterator[GitLab]:
    """GitLab's API at the platform host's address (which its certificate names), checked against its CA."""
    with tempfile.NamedTemporaryFile("w", suffix=".crt", encoding="utf-8") as ca_file:
        ca_file.write(ca_certificate)
        ca_file.flush()
        yield GitLab(f"https://{host.address}", token, Path(ca_file.name))


def gitlab_ready(facts: HostFacts, inventory: Inventory) -> bool:
    """GitLab runs at the wanted release and knows the bootstrap's token: its API can be asked."""
    assert inventory.platform is not None
    version = wanted_platform_packages(inventory.platform)["gitlab-ce"]
    package = facts.packages.get("gitlab-ce")
    return bool(package and package.version == version and API_TOKEN_REGISTERED in facts.files)


def plan_platform(
    root: Path, inventory: Inventory, host: Host, facts: HostFacts, session: SshSession, timeout: float
) -> list[Change]:
    settings = inventory.platform
    assert settings is not None
    changes = platform_changes(root, inventory, host, facts)
    names = names_change(inventory, host, PLATFORM_PHASE, facts)
    changes += [names] if names else []
    on_host = facts.files.get(CA_CERTIFICATE)
    home = settings.ca_file.read_text(encoding="utf-8") if settings.ca_file.is_file() else None
    if on_host is None or home != on_host:
        summary = f"copy the CA certificate home to {settings.ca_file} (its fingerprint is printed)"
        changes.append(Change(host.name, PLATFORM_PHASE, CA_HOME_KIND, summary))
    wanted = missing(None, settings, facts.present)
    if gitlab_ready(facts, inventory) and on_host is not None:
        token = read_secret_files(session, host, [API_TOKEN], timeout).get(API_TOKEN, "").strip()
        with gitlab_api(host, token, on_host) as api:
            wanted = missing(api, settings, facts.present)
    changes += gitlab_changes(host, wanted)
    registered = all(not item.key.endswith(RUNNER_TOKEN) for item in wanted)
    runner = runner_config_change(root, inventory, host, facts, registered)
    changes += [runner] if runner else []
    return changes


def wait_until_answering(api: GitLab) -> None:
    """GitLab's API answers with our token, or ToolError after a bounded wait."""
    deadline = time.monotonic() + _ANSWER_WAIT_SECONDS
    for _ in range(_ANSWER_WAIT_SECONDS // _ANSWER_POLL_SECONDS + 1):
        try:
            api.answers()
            return
        except ToolError as error:
            if time.monotonic() >= deadline:
                raise ToolError(f"GitLab did not answer within {_ANSWER_WAIT_SECONDS} s: {error}") from None
        time.sleep(_ANSWER_POLL_SECONDS)
    raise ToolError(f"GitLab did not answer within {_ANSWER_WAIT_SECONDS} s")


def token_file(name: str) -> str:
    return f"{TOKENS}/{name}"


def with_platform_credentials(
    root: Path, inventory: Inventory, inputs: ClusterInputs, session: SshSession, timeout: float
) -> ClusterInputs:
    """Argo CD reads gitops-repo with the platform's deploy token argocd, and the shop's namespaces pull with its
    deploy token cluster-pull (each pending until GitLab made it)."""
    assert inventory.platform_host is not None
    files = [token_file(ARGOCD_TOKEN), token_file(PULL_TOKEN)]
    stored = read_secret_files(session, inventory.platform_host, files, timeout)
    return replace(inputs, credentials=platform_credentials(root, inventory, *(stored.get(f, "") for f in files)))
