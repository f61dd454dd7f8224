"""The one place that talks to GitLab's REST API, through python-gitlab: what the bootstrap creates on the platform
host (group, projects, protected branches, CI/CD variables, access and deploy tokens, the runner), what smoke
reads back, and a merge request's notes. Tokens go in the PRIVATE-TOKEN header only; an error names the call and
GitLab's status, never a token."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import gitlab
import requests

from gitops_toolkit.core.errors import ToolError

_TIMEOUT_SECONDS = 30
_T = TypeVar("_T")


@dataclass(frozen=True)
class IssuedToken:
    """What GitLab shows once, at creation."""

    name: str
    username: str  # a deploy token's user name; "" for other tokens
    token: str


@contextmanager
def _answers(what: str) -> Iterator[None]:
    """GitLab's errors as one line each: what was asked, and GitLab's status and message."""
    try:
        yield
    except gitlab.exceptions.GitlabAuthenticationError:
        raise ToolError(f"GitLab refused the token while it {what} (401): it is wrong, expired or revoked") from None
    except gitlab.exceptions.GitlabError as error:
        message = " ".join(str(error.error_message).split())[:200]
        raise ToolError(f"GitLab answered {error.response_code} while it {what}: {message}") from None
    except (requests.RequestException, OSError) as error:
        reason = str(error).split(" (Caused by")[0]
        raise ToolError(f"cannot reach GitLab while it {what}: {reason}") from None


def _call(what: str, action: Callable[[], _T]) -> _T:
    with _answers(what):
        return action()
    raise AssertionError(what)  # never reached: _answers re-raises every error as a ToolError


def _optional(what: str, action: Callable[[], _T]) -> _T | None:
    """The answer, or None when GitLab says there is no such thing (404)."""
    with _answers(what):
        try:
            return action()
        except gitlab.exceptions.GitlabGetError as error:
            if error.response_code != 404:
                raise
            return None
    raise AssertionError(what)  # never reached, as above


class GitLab:
    """A GitLab instance at `url`, its TLS certificate checked against `ca_file` (the system's when None)."""

    def __init__(self, url: str, token: str, ca_file: Path | None = None) -> None:
        self.url = url.rstrip("/")
        self._api = gitlab.Gitlab(
            self.url,
            private_token=token,
            ssl_verify=str(ca_file) if ca_file else True,
            timeout=_TIMEOUT_SECONDS,
            per_page=100,
        )

    def answers(self) -> str:
        """The token's user, once GitLab's API answers and accepts the token."""
        return _call("was asked whose token this is", lambda: str(self._current_user().username))

    # Reading ------------------------------------------------------------------------------------------------
    def group_id(self, path: str) -> int | None:
        return _optional(f"read group {path}", lambda: int(self._api.groups.get(path).id))

    def project(self, path: str) -> dict[str, Any] | None:
        """id, default_branch and empty_repo of the project at `group/name`, or None when there is none."""
        return _optional(f"read project {path}", lambda: dict(self._api.projects.get(path).attributes))

    def protected_branches(self, project_id: int) -> set[str]:
        project = self._api.projects.get(project_id, lazy=True)
        return _call(
            "listed protected branches", lambda: {b.name for b in project.protectedbranches.list(get_all=True)}
        )

    def variables(self, project_id: int) -> set[str]:
        project = self._api.projects.get(project_id, lazy=True)
        return _call("listed CI/CD variables", lambda: {v.key for v in project.variables.list(get_all=True)})

    def access_tokens(self, project_id: int) -> set[str]:
        """The names of the project's active access tokens."""
        project = self._api.projects.get(project_id, lazy=True)
        tokens = _call("listed project access tokens", lambda: project.access_tokens.list(get_all=True))
        return {t.name for t in tokens if getattr(t, "active", True) and not getattr(t, "revoked", False)}

    def deploy_tokens(self, project_id: int) -> set[str]:
        project = self._api.projects.get(project_id, lazy=True)
        tokens = _call("listed deploy tokens", lambda: project.deploytokens.list(get_all=True))
        return {t.name for t in tokens if not getattr(t, "revoked", False) and not getattr(t, "expired", False)}

    def runners(self, description: str) -> list[dict[str, Any]]:
        """Instance runners with this description (id, status)."""
        found = _call("listed runners", lambda: self._api.runners_all.list(type="instance_type", get_all=True))
        return [dict(r.attributes) for r in found if r.description == description]

    def branch_commit(self, project_id: int, branch: str) -> str | None:
        project = self._api.projects.get(project_id, lazy=True)
        return _optional(f"read branch {branch}", lambda: str(project.branches.get(branch).commit["id"]))

    # Creating -----------------------------------------------------------------------------------------------
    def create_group(self, path: str) -> int:
        attributes = {"name": path, "path": path, "visibility": "private"}
        return _call(f"created group {path}", lambda: int(self._api.groups.create(attributes).id))

    def create_project(self, group_id: int, name: str, default_branch: str) -> int:
        attributes = {"name": name, "path": name, "namespace_id": group_id, "visibility": "private"}
        attributes["default_branch"] = default_branch
        return _call(f"created project {name}", lambda: int(self._api.projects.create(attributes).id))

    def protect_branch(self, project_id: int, branch: str) -> None:
        project = self._api.projects.get(project_id, lazy=True)
        # Maintainers (40) push and merge; nobody force-pushes.
        attributes = {"name": branch, "push_access_level": 40, "merge_access_level": 40, "allow_force_push": False}
        _call(f"protected branch {branch}", lambda: project.protectedbranches.create(attributes))

    def set_variable(self, project_id: int, key: str, value: str) -> None:
        """A masked, protected CI/CD variable (only pipelines of protected branches see it), created or replaced."""
        project = self._api.projects.get(project_id, lazy=True)
        attributes = {"value": value, "masked": True, "protected": True, "raw": True}
        if key in self.variables(project_id):
            _call(f"updated CI/CD variable {key}", lambda: project.variables.update(key, attributes))
        else:
            _call(f"created CI/CD variable {key}", lambda: project.variables.create({"key": key, **attributes}))

    def create_access_token(self, project_id: int, name: str, scopes: list[str], expires_at: str) -> IssuedToken:
        project = self._api.projects.get(project_id, lazy=True)
        attributes = {"name": name, "scopes": scopes, "access_level": 40, "expires_at": expires_at}
        created = _call(f"created project access token {name}", lambda: project.access_tokens.create(attributes))
        return IssuedToken(name, "", str(created.token))

    def create_deploy_token(self, project_id: int, name: str, scopes: list[str]) -> IssuedToken:
        project = self._api.projects.get(project_id, lazy=True)
        attributes = {"name": name, "scopes": scopes}
        created = _call(f"created deploy token {name}", lambda: project.deploytokens.create(attributes))
        return IssuedToken(name, str(created.username), str(created.token))

    def create_runner(self, description: str) -> IssuedToken:
        """An instance runner; its authentication token (glrt-) is shown this once."""
        attributes = {"runner_type": "instance_type", "description": description, "run_untagged": True}
        created = _call(f"registered runner {description}", lambda: self._current_user().runners.create(attributes))
        return IssuedToken(description, "", str(created.token))

    def _current_user(self) -> Any:
        self._api.auth()
        if self._api.user is None:
            raise ToolError("GitLab did not say whose token the bootstrap holds")
        return self._api.user

    # Merge requests -----------------------------------------------------------------------------------------
    def notes(self, project_id: str, merge_request_iid: str) -> list[tuple[int, str]]:
        """Every note of the merge request (all pages): (id, body), oldest first."""
        request = self._api.projects.get(project_id, lazy=True).mergerequests.get(merge_request_iid, lazy=True)
        found = _call("listed merge request notes", lambda: request.notes.list(get_all=True, sort="asc"))
        return [(int(note.id), str(note.body)) for note in found]

    def create_note(self, project_id: str, merge_request_iid: str, body: str) -> int:
        request = self._api.projects.get(project_id, lazy=True).mergerequests.get(merge_request_iid, lazy=True)
        return _call("created a merge request note", lambda: int(request.notes.create({"body": body}).id))

    def update_note(self, project_id: str, merge_request_iid: str, note_id: int, body: str) -> None:
        request = self._api.projects.get(project_id, lazy=True).mergerequests.get(merge_request_iid, lazy=True)
        note = request.notes.get(note_id, lazy=True)
        note.body = body
        _call("updated a merge request note", note.save)
