"""The one place that speaks plain HTTP from this process (the CRD and chart downloads, whether a URL answers):
one error type out."""

from __future__ import annotations

import urllib.error
import urllib.request

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
