"""The one place that downloads over HTTP (the CRD and chart fetches): bytes in, one error type out."""

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
