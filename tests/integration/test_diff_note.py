"""The diff posted on a merge request: one note, updated in place on the next push, against a stand-in of
GitLab's notes API on 127.0.0.1 that checks the token as GitLab does; the token never appears in output."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.delivery.diff.note import MergeRequest, post_note
from gitops_toolkit.delivery.diff.report import MARKER

TOKEN = "stand-in-api-token-0000"
NOTES_PATH = "/api/v4/projects/42/merge_requests/7/notes"


class NotesApi(BaseHTTPRequestHandler):
    notes: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, *arguments: Any) -> None:  # quiet
        pass

    def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        if self.headers.get("PRIVATE-TOKEN") != TOKEN:
            self._answer(401, {"message": "401 Unauthorized"})
            return False
        return True

    def do_GET(self) -> None:
        """A page of notes, with the pagination headers GitLab sends (a Link to the next page)."""
        if self._authorised() and self.path.startswith(NOTES_PATH + "?"):
            query = {key: values[-1] for key, values in parse_qs(urlsplit(self.path).query).items()}
            page, per_page = int(query.get("page", "1")), min(int(query.get("per_page", "20")), 100)
            headers = {"X-Page": str(page), "X-Per-Page": str(per_page), "X-Total": str(len(self.notes))}
            if page * per_page < len(self.notes):
                following = urlencode({**query, "page": str(page + 1)})
                headers["Link"] = f'<http://{self.headers["Host"]}{NOTES_PATH}?{following}>; rel="next"'
            self._answer(200, self.notes[(page - 1) * per_page : page * per_page], headers)

    def do_POST(self) -> None:
        if self._authorised() and self.path == NOTES_PATH:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            note = {"id": 1000 + len(self.notes), "body": body["body"]}
            self.notes.append(note)
            self._answer(201, note)

    def do_PUT(self) -> None:
        if self._authorised():
            note_id = int(self.path.rsplit("/", 1)[1])
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            for note in self.notes:
                if note["id"] == note_id:
                    note["body"] = body["body"]
            self._answer(200, {"id": note_id})


@pytest.fixture
def gitlab() -> Iterator[str]:
    NotesApi.notes = [{"id": 1, "body": "LGTM"}] + [{"id": 2 + n, "body": f"comment {n}"} for n in range(120)]
    server = ThreadingHTTPServer(("127.0.0.1", 0), NotesApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v4"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_one_note_is_created_then_updated_in_place(gitlab: str) -> None:
    request = MergeRequest(gitlab, "42", "7", TOKEN)
    first = post_note(request, f"{MARKER}\nfirst push")
    second = post_note(request, f"{MARKER}\nsecond push")
    ours = [note for note in NotesApi.notes if note["body"].startswith(MARKER)]
    assert [note["body"] for note in ours] == [f"{MARKER}\nsecond push"]  # past the first page of notes, too
    assert first.startswith("created note") and second == f"updated note {ours[0]['id']} on merge request !7"
    assert len(NotesApi.notes) == 122


def test_a_refused_token_is_one_line_without_the_token(gitlab: str) -> None:
    with pytest.raises(ToolError) as refused:
        post_note(MergeRequest(gitlab, "42", "7", "wrong-token-value"), f"{MARKER}\nbody")
    assert "401" in str(refused.value) and "wrong-token-value" not in str(refused.value)
    assert "\n" not in str(refused.value)
