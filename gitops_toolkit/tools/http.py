"""The one place that speaks plain HTTP from this process (the CRD and chart downloads, whether a URL answers, the
platform's registry and web front as a client sees them): one error type out."""

from __future__ import annotations

import http.client
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from gitops_toolkit.core.errors import ToolError

_TIMEOUT_SECONDS = 60


def download(url: str, limit: int) -> bytes:
    """The body at `url`, refused when larger than `limit` bytes."""
    try:
        with urllib.request.urlopen(url, timeout=_TIMEOUT_SECONDS) as response:
            data: bytes = response.read(limit + 1)
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise ToolError(f"cannot download {url}: {getattr(error, 'reason', error)}") from None
    if len(data) > limit:
        raise ToolError(f"{url} is larger than {limit} bytes")
    return data


def unanswered(url: str, timeout: float = 10) -> str:
    """Why nothing answers at `url` (refused, no route, no answer in time), or "" when a server answers there,
    whatever its status."""
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return ""
    except urllib.error.HTTPError:
        return ""  # an answer, if not a happy one: the load test reports what the shop says
    except urllib.error.URLError as error:
        reason = error.reason
    except (TimeoutError, OSError) as error:
        reason = error
    if isinstance(reason, TimeoutError):
        return f"no answer within {timeout:g} s"
    return str(getattr(reason, "strerror", None) or reason).lower()


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes


def https_at(
    url: str, address: str, ca_file: Path, headers: dict[str, str] | None = None, timeout: float = 10
) -> Answer:
    """GET an https:// URL from the server at `address` (as `curl --resolve` does: the URL's host name is what the
    certificate must name, checked against `ca_file` alone), whatever its status; ToolError when no answer comes or
    the certificate is not trusted."""
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "", parts.port or 443
    context = ssl.create_default_context(cafile=str(ca_file))
    connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
    # http.client dials the URL's host; dial the given address instead, and keep verifying the URL's host name.
    connection._create_connection = lambda _, *rest, **options: socket.create_connection(  # type: ignore[attr-defined]
        (address, port), *rest, **options
    )
    try:
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read(2**20))
    except ssl.SSLCertVerificationError as error:
        raise ToolError(f"{host}:{port} at {address}: {error.verify_message or error.reason}") from None
    except (OSError, http.client.HTTPException) as error:
        raise ToolError(f"{host}:{port} at {address}: {getattr(error, 'strerror', None) or error}") from None
    finally:
        connection.close()
