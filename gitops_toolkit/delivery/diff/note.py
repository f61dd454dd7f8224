"""The diff as one note on the merge request, updated in place on every push (found by its marker), never a
new note per push. Everything comes from the CI job's variables; the token never reaches the output."""

from __future__ import annotations

import os

from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.delivery.diff.report import MARKER
from gitops_toolkit.tools.gitlab_api import MergeRequest, create_note, notes, update_note

TOKEN_VARIABLE = "GITLAB_NOTE_TOKEN"  # a project access token with the api scope, masked


def merge_request_from_environment() -> MergeRequest:
    names = ("CI_API_V4_URL", "CI_PROJECT_ID", "CI_MERGE_REQUEST_IID", TOKEN_VARIABLE)
    missing = [name for name in names if not os.environ.get(name)]
    if missing:
        raise ToolError(f"--note needs the merge request pipeline's {', '.join(missing)} (set {TOKEN_VARIABLE} in CI)")
    return MergeRequest(*(os.environ[name] for name in names))


def post_note(request: MergeRequest, body: str) -> str:
    """Update our note if the merge request has one, else create it; what was done, for the log."""
    ours = [note for note in notes(request) if str(note.get("body", "")).startswith(MARKER)]
    if ours:
        update_note(request, int(ours[0]["id"]), body)
        return f"updated note {ours[0]['id']} on merge request !{request.iid}"
    return f"created note {create_note(request, body)} on merge request !{request.iid}"
