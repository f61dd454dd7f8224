"""The platform host's part of the smoke test, with `--inventory`: GitLab answers over HTTPS with the platform CA's
certificate; every node trusts the registry with the CA containerd reads (checked on the node itself, over SSH, by
the name it resolves); the cluster's pull Secret logs in to the registry and fetches the manifest of an image the
shop runs; the runner is online; gitops-repo's default branch is the commit Argo CD synced. GitLab's API is asked
with the bootstrap's token, read from its root-only file over SSH into memory, never shown."""

from __future__ import annotations

import base64
import json
import shlex

from gitops_toolkit.checks.smoke.result import CheckResult, timed
from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.gate.rules.images import parse_image
from gitops_toolkit.hosts.bootstrap.configs import REGISTRY_DIRECTORY
from gitops_toolkit.hosts.bootstrap.credentials import PULL_KEY, PULL_SECRET
from gitops_toolkit.hosts.bootstrap.platform_plan import read_secret_files
from gitops_toolkit.hosts.bootstrap.platform_steps import RUNNER_NAME
from gitops_toolkit.hosts.inventory import Inventory
from gitops_toolkit.hosts.platform_host import API_TOKEN, GITOPS_PROJECT, PlatformSettings
from gitops_toolkit.hosts.probe import targets
from gitops_toolkit.tools.cluster_api import ClusterApi
from gitops_toolkit.tools.gitlab import GitLab
from gitops_toolkit.tools.http import https_at
from gitops_toolkit.tools.registry import pull_manifest
from gitops_toolkit.tools.ssh import SshSession

BOOTSTRAP_AGAIN = 'run `invoke bootstrap --inventory F` again; docs/troubleshooting.md, "The platform host"'


def _trust_command(settings: PlatformSettings) -> str:
    """On a node: does the CA containerd reads for the registry verify the certificate served at its name?"""
    ca = shlex.quote(f"{REGISTRY_DIRECTORY}/{settings.registry}/ca.crt")
    name, port = settings.registry_name, settings.registry_port
    return (
        f"[ -f {ca} ] || {{ echo 'no CA at {REGISTRY_DIRECTORY}/{settings.registry}/ca.crt'; exit 0; }}; "
        f"out=$(timeout 10 openssl s_client -connect {name}:{port} -servername {name} -verify_hostname {name} "
        f"-verify_return_error -CAfile {ca} </dev/null 2>&1) && echo trusted || "
        "printf '%s\\n' \"$out\" | grep -m1 -iE 'verify error|errno|refused|resolve|unknown|timed out' "
        "|| echo untrusted"
    )


class PlatformChecks:
    def __init__(self, cluster: ClusterApi, inventory: Inventory, session: SshSession, shop: str, timeout: float):
        assert inventory.platform is not None and inventory.platform_host is not None
        self.cluster, self.inventory, self.session, self.shop, self.timeout = cluster, inventory, session, shop, timeout
        self.settings, self.host = inventory.platform, inventory.platform_host
        self._api: GitLab | None = None

    def run(self) -> list[CheckResult]:
        settings = self.settings
        return [
            timed(
                "PLATFORM-GITLAB-HTTPS",
                f"GitLab answers at https://{settings.gitlab_name} with a certificate from the platform CA",
                f"the platform CA is {settings.ca_file}; check the host's clock and {BOOTSTRAP_AGAIN}",
                self._gitlab_https,
            ),
            timed(
                "PLATFORM-REGISTRY-TRUSTED",
                f"every node trusts {settings.registry} with the CA containerd reads",
                f"reinstall the CA on those nodes: `invoke bootstrap --inventory F --limit NODE`; {BOOTSTRAP_AGAIN}",
                self._nodes_trust_registry,
            ),
            timed(
                "PLATFORM-REGISTRY-PULL",
                f"{self.shop}/{PULL_SECRET} logs in to {settings.registry} and fetches the shop's image",
                "the deploy token cluster-pull may be revoked or lack read_registry: run `invoke bootstrap` again "
                "(it makes a new one), then `invoke platform.seal`",
                self._registry_pull,
            ),
            timed(
                "PLATFORM-RUNNER-ONLINE",
                f"the runner {RUNNER_NAME} is online",
                f"on {self.host.name}: `gitlab-runner verify`, `journalctl -u gitlab-runner`; {BOOTSTRAP_AGAIN}",
                self._runner_online,
            ),
            timed(
                "PLATFORM-GITOPS-SYNCED",
                f"Argo CD synced the head of {GITOPS_PROJECT}'s default branch",
                "see the root Application's conditions (`argocd app get root`); a new commit syncs within minutes",
                self._gitops_synced,
            ),
        ]

    def _gitlab_https(self) -> list[str]:
        if not self.settings.ca_file.is_file():
            return [f"no platform CA at {self.settings.ca_file}"]
        answer = https_at(
            f"https://{self.settings.gitlab_name}/users/sign_in", self.host.address, self.settings.ca_file
        )
        return [f"GitLab answered HTTP {answer.status}"] if answer.status >= 500 else []

    def _nodes_trust_registry(self) -> list[str]:
        nodes = self.inventory.cluster_hosts
        answers = self.session.run_command(targets(nodes), _trust_command(self.settings), self.timeout)
        problems = []
        for node in nodes:
            answer = answers[node.name]
            said = (answer.output or "").strip()
            if answer.error or said != "trusted":
                problems.append(f"{node.name}: {answer.error or said}")
        return problems

    def _login(self) -> tuple[str, str]:
        secret = self.cluster.get("secret", PULL_SECRET, "-n", self.shop)
        try:
            config = json.loads(base64.b64decode(secret.get("data", {}).get(PULL_KEY, "")))
            entry = config["auths"][self.settings.registry]
        except (ValueError, KeyError, TypeError):
            raise ToolError(f"{self.shop}/{PULL_SECRET} has no login for {self.settings.registry}") from None
        return str(entry["username"]), str(entry["password"])

    def _registry_pull(self) -> list[str]:
        login = self._login()
        images = sorted(
            {
                str(container.get("image", ""))
                for deployment in self.cluster.get("deployments", "-n", self.shop).get("items", [])
                for container in deployment.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])
                if parse_image(str(container.get("image", ""))).registry == self.settings.registry
            }
        )
        ca = self.settings.ca_file
        if not images:
            # Nothing pulled from the registry yet: the login alone. A pull token granted for app-repo, then "no
            # such manifest", is a login that works.
            repository = f"{self.settings.group}/app-repo"
            try:
                pull_manifest(self.settings.registry, self.host.address, ca, login, repository, "latest")
            except ToolError as error:
                return [] if "HTTP 404" in str(error) else [str(error)]
            return []
        reference = parse_image(images[0])
        tag = reference.digest or reference.tag
        pull_manifest(self.settings.registry, self.host.address, ca, login, reference.repository, tag)
        return []

    def _gitlab(self) -> GitLab:
        if self._api is None:
            stored = read_secret_files(self.session, self.host, [API_TOKEN], self.timeout)
            if API_TOKEN not in stored:
                raise ToolError(f"{self.host.name}: no API token at {API_TOKEN}; {BOOTSTRAP_AGAIN}")
            self._api = GitLab(f"https://{self.host.address}", stored[API_TOKEN].strip(), self.settings.ca_file)
        return self._api

    def _runner_online(self) -> list[str]:
        runners = self._gitlab().runners(RUNNER_NAME)
        if not runners:
            return [f"no runner {RUNNER_NAME} is registered"]
        if any(runner.get("status") == "online" for runner in runners):
            return []
        return [f"runner {r.get('id')} is {r.get('status')}" for r in runners]

    def _gitops_synced(self) -> list[str]:
        api = self._gitlab()
        project = api.project(f"{self.settings.group}/{GITOPS_PROJECT}")
        if project is None:
            return [f"no project {self.settings.group}/{GITOPS_PROJECT}"]
        branch = str(project.get("default_branch") or "main")
        head = api.branch_commit(int(project["id"]), branch)
        root = self.cluster.get("applications.argoproj.io", "root", "-n", "argocd")
        synced = str(root.get("status", {}).get("sync", {}).get("revision") or "")
        if head != synced:
            return [f"{GITOPS_PROJECT} {branch} is at {str(head)[:12]}, Argo CD synced {synced[:12] or 'nothing'}"]
        return []


def platform_checks(
    cluster: ClusterApi, inventory: Inventory, session: SshSession, shop: str, timeout: float = 5.0
) -> list[CheckResult]:
    return PlatformChecks(cluster, inventory, session, shop, timeout).run()
