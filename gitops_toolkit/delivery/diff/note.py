"""The diff as one note on the merge request, updated in place on every push (found by its marker), never a
new note per push. Everything comes from the CI job's variables; the token never reaches the output."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.delivery.diff.report import MARKER
from gitops_toolkit.tools.gitlab import GitLab

TOKEN_VARIABLE = "GITLAB_NOTE_TOKEN"  # a project access token with the api scope, masked


@dataclass(frozen=True)
class MergeRequest:
    api_url: str  # CI_API_V4_URL, e.g. https://gitlab.local/api/v4
    project_id: str  # CI_PROJECT_ID
    iid: str  # CI_MERGE_REQUEST_IID
    token: str
    ca_file: str = ""  # CI_SERVER_TLS_CA_FILE: the runner's CA for GitLab (a self-signed one), when it has one


def merge_request_from_environment() -> MergeRequest:
    names = ("CI_API_V4_URL", "CI_PROJECT_ID", "CI_MERGE_REQUEST_IID", TOKEN_VARIABLE)
    missing = [name for name in names if not os.environ.get(name)]
    if missing:
        raise ToolError(f"--note needs the merge request pipeline's {', '.join(missing)} (set {TOKEN_VARIABLE} in CI)")
    api_url, project_id, iid, token = (os.environ[name] for name in names)
    return MergeRequest(api_url, project_id, iid, token, os.environ.get("CI_SERVER_TLS_CA_FILE", ""))


def post_note(request: MergeRequest, body: str) -> str:
    """Update our note if the merge request has one, else create it; what was done, for the log."""
    api = GitLab(
        request.api_url.rstrip("/").removesuffix("/api/v4"),
        request.token,
        Path(request.ca_file) if request.ca_file else None,
    )
    ours = [note_id for note_id, text in api.notes(request.project_id, request.iid) if text.startswith(MARKER)]
    if ours:
        api.update_note(request.project_id, request.iid, ours[0], body)
        return f"updated note {ours[0]} on merge request !{request.iid}"
    return f"created note {api.create_note(request.project_id, request.iid, body)} on merge request !{request.iid}"
