"""Downloading a chart archive with Helm's engine (an HTTP chart repository or an OCI registry), for
`invoke charts.fetch`."""

from __future__ import annotations

from pathlib import Path

from gitops_toolkit.tools.helm_engine import HelmError, one_line, sdk


def pull(reference: str, version: str, destination: Path, repository_url: str | None, plain_http: bool) -> Path:
    """Download a chart archive (HTTP repository: `reference` is the chart name; OCI: `oci://host/path/name`)."""
    helm_python = sdk()
    try:
        result = helm_python.pull(
            reference, destination=destination, version=version, repo_url=repository_url, plain_http=plain_http
        )
    except helm_python.HelmError as error:
        raise HelmError(one_line(error)) from None
    archives = sorted(destination.glob("*.tgz"))
    if len(archives) != 1:
        raise HelmError(f"pulling {reference} {version} left {len(archives)} archives: {result}")
    return archives[0]
