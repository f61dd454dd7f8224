"""What the bootstrap creates through GitLab's API on the platform host, compared with what is there: the group,
the projects app-repo and gitops-repo (this repository pushed to the second, app-repo/ to the first), their
protected default branches, app-repo's GITOPS_TOKEN (a project access token of gitops-repo, masked and
protected), Argo CD's and the cluster's deploy tokens, and the runner. A token GitLab shows once goes straight
to a root-only file on the platform host; this process holds it in memory only while it writes it there."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gitops_toolkit.hosts.bootstrap.node_steps import Change
from gitops_toolkit.hosts.bootstrap.platform_steps import GITLAB_PHASE, RUNNER_NAME
from gitops_toolkit.hosts.inventory import Host
from gitops_toolkit.hosts.platform_host import (
    APP_PROJECT,
    ARGOCD_TOKEN,
    BUMP_TOKEN,
    GITOPS_PROJECT,
    PULL_TOKEN,
    RUNNER_TOKEN,
    TOKENS,
    PlatformSettings,
)
from gitops_toolkit.tools.git import committer, git, head_commit, push_with_token
from gitops_toolkit.tools.gitlab import GitLab, IssuedToken

DEFAULT_BRANCH = "main"
TOKEN_LIFETIME_DAYS = 365  # GitLab's longest for access tokens; `invoke bootstrap` makes new ones when they lapse


@dataclass(frozen=True)
class Wanted:
    """One thing to create through the API, and how."""

    key: str
    summary: str


def _wanted(settings: PlatformSettings) -> list[Wanted]:
    group = settings.group
    return [
        Wanted("group", f"create the group {group} (private)"),
        *(
            Wanted(f"project:{name}", f"create the project {group}/{name} (private, default branch {DEFAULT_BRANCH})")
            for name in (APP_PROJECT, GITOPS_PROJECT)
        ),
        Wanted(f"push:{GITOPS_PROJECT}", f"push this repository's HEAD to {group}/{GITOPS_PROJECT} ({DEFAULT_BRANCH})"),
        Wanted(f"push:{APP_PROJECT}", f"push app-repo/ (its files, as a first commit) to {group}/{APP_PROJECT}"),
        *(
            Wanted(f"protect:{name}", f"protect {DEFAULT_BRANCH} of {group}/{name} (maintainers push, no force)")
            for name in (APP_PROJECT, GITOPS_PROJECT)
        ),
        Wanted(
            f"token:{BUMP_TOKEN}",
            f"create the project access token {BUMP_TOKEN} of {GITOPS_PROJECT} (write_repository) and the masked, "
            f"protected CI/CD variable GITOPS_TOKEN of {APP_PROJECT} holding it",
        ),
        Wanted(
            f"token:{ARGOCD_TOKEN}", f"create the deploy token {ARGOCD_TOKEN} of {GITOPS_PROJECT} (read_repository)"
        ),
        Wanted(
            f"token:{PULL_TOKEN}",
            f"create the deploy token {PULL_TOKEN} of {APP_PROJECT} (read_registry, for the cluster's image pulls)",
        ),
        Wanted(
            f"token:{RUNNER_TOKEN}",
            f"register the instance runner {RUNNER_NAME} (docker executor; its glrt- token kept in {TOKENS})",
        ),
    ]


def missing(api: GitLab | None, settings: PlatformSettings, present_files: frozenset[str]) -> list[Wanted]:
    """What is not there yet: everything when GitLab cannot be asked yet (`api` None)."""
    wanted = _wanted(settings)
    if api is None:
        return wanted
    have: set[str] = set()
    if api.group_id(settings.group) is not None:
        have.add("group")
    projects = {name: api.project(f"{settings.group}/{name}") for name in (APP_PROJECT, GITOPS_PROJECT)}
    for name, project in projects.items():
        if project is None:
            continue
        have.add(f"project:{name}")
        if not project.get("empty_repo"):
            have.add(f"push:{name}")
        if DEFAULT_BRANCH in api.protected_branches(int(project["id"])):
            have.add(f"protect:{name}")
    app, gitops = projects[APP_PROJECT], projects[GITOPS_PROJECT]
    stored = {
        name for name in (RUNNER_TOKEN, ARGOCD_TOKEN, PULL_TOKEN, BUMP_TOKEN) if f"{TOKENS}/{name}" in present_files
    }
    bump_ready = app and gitops and BUMP_TOKEN in stored and BUMP_TOKEN in api.access_tokens(int(gitops["id"]))
    if bump_ready and app and "GITOPS_TOKEN" in api.variables(int(app["id"])):
        have.add(f"token:{BUMP_TOKEN}")
    if gitops and ARGOCD_TOKEN in stored and ARGOCD_TOKEN in api.deploy_tokens(int(gitops["id"])):
        have.add(f"token:{ARGOCD_TOKEN}")
    if app and PULL_TOKEN in stored and PULL_TOKEN in api.deploy_tokens(int(app["id"])):
        have.add(f"token:{PULL_TOKEN}")
    if RUNNER_TOKEN in stored and api.runners(RUNNER_NAME):
        have.add(f"token:{RUNNER_TOKEN}")
    return [item for item in wanted if item.key not in have]


def gitlab_changes(host: Host, wanted: list[Wanted]) -> list[Change]:
    return [Change(host.name, GITLAB_PHASE, "gitlab", item.summary, action=item.key) for item in wanted]


@dataclass
class Creator:
    """Creates what a plan wanted, one key at a time, in the plan's order."""

    api: GitLab
    settings: PlatformSettings
    root: Path
    address: str  # the platform host's, which its certificate names: reached without DNS
    ca_file: Path
    api_token: str
    store: Callable[[str, IssuedToken], None]  # writes a token to its root-only file on the platform host

    def create(self, key: str) -> None:
        kind, _, name = key.partition(":")
        {"group": self._group, "project": self._project, "push": self._push, "protect": self._protect}.get(
            kind, self._token
        )(name)

    def _group(self, _: str) -> None:
        self.api.create_group(self.settings.group)

    def _project_id(self, name: str) -> int:
        project = self.api.project(f"{self.settings.group}/{name}")
        if project is None:
            raise LookupError(f"the project {self.settings.group}/{name} is not there")
        return int(project["id"])

    def _project(self, name: str) -> None:
        group = self.api.group_id(self.settings.group)
        if group is None:
            raise LookupError(f"the group {self.settings.group} is not there")
        self.api.create_project(group, name, DEFAULT_BRANCH)

    def _push(self, name: str) -> None:
        if name == GITOPS_PROJECT:
            commit = head_commit(self.root)
        else:  # app-repo/ as the application team's repository: its files, in one first commit
            message = "app-repo: the application team's CI, from the platform repository"
            commit = git(self.root, "commit-tree", "HEAD:app-repo", "-m", message, options=committer(self.root)).strip()
        url = f"https://{self.address}/{self.settings.group}/{name}.git"
        push_with_token(self.root, url, self.api_token, self.ca_file, f"{commit}:refs/heads/{DEFAULT_BRANCH}")

    def _protect(self, name: str) -> None:
        self.api.protect_branch(self._project_id(name), DEFAULT_BRANCH)

    def _token(self, name: str) -> None:
        expires = (datetime.date.today() + datetime.timedelta(days=TOKEN_LIFETIME_DAYS)).isoformat()
        if name == BUMP_TOKEN:
            issued = self.api.create_access_token(
                self._project_id(GITOPS_PROJECT), BUMP_TOKEN, ["write_repository"], expires
            )
            self.store(name, issued)
            self.api.set_variable(self._project_id(APP_PROJECT), "GITOPS_TOKEN", issued.token)
        elif name == ARGOCD_TOKEN:
            self.store(name, self.api.create_deploy_token(self._project_id(GITOPS_PROJECT), name, ["read_repository"]))
        elif name == PULL_TOKEN:
            self.store(name, self.api.create_deploy_token(self._project_id(APP_PROJECT), name, ["read_registry"]))
        else:
            self.store(name, self.api.create_runner(RUNNER_NAME))
