"""The one place that talks to GitLab's REST API: a merge request's notes (list, create, update), with a token
in the PRIVATE-TOKEN header, never in a URL or a message."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from gitops_toolkit.core.errors import ToolError

_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class MergeRequest:
    api_url: str  # CI_API_V4_URL, e.g. https://gitlab.local/api/v4
    project_id: str  # CI_PROJECT_ID
    iid: str  # CI_MERGE_REQUEST_IID
    token: str

    @property
    def notes_url(self) -> str:
        return f"{self.api_url.rstrip('/')}/projects/{self.project_id}/merge_requests/{self.iid}/notes"


def _call(request: MergeRequest, method: str, url: str, body: dict[str, str] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    http = urllib.request.Request(url, data=data, method=method)
    http.add_header("PRIVATE-TOKEN", request.token)
    http.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(http, timeout=_TIMEOUT_SECONDS) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        raise ToolError(f"GitLab answered {error.code} to {method} {url.split('?')[0]}") from None
    except (urllib.error.URLError, TimeoutError, OSError, json.JSONDecodeError) as error:
        raise ToolError(f"cannot reach GitLab at {request.api_url}: {getattr(error, 'reason', error)}") from None


def notes(request: MergeRequest) -> list[dict[str, Any]]:
    """Every note of the merge request (all pages)."""
    found: list[dict[str, Any]] = []
    for page in range(1, 101):  # GitLab pages by 100: ten thousand notes is more than any merge request has
        batch = _call(request, "GET", f"{request.notes_url}?per_page=100&page={page}&sort=asc")
        found += batch if isinstance(batch, list) else []
        if not isinstance(batch, list) or len(batch) < 100:
            break
    return found


def create_note(request: MergeRequest, body: str) -> int:
    return int(_call(request, "POST", request.notes_url, {"body": body})["id"])


def update_note(request: MergeRequest, note_id: int, body: str) -> None:
    _call(request, "PUT", f"{request.notes_url}/{note_id}", {"body": body})
