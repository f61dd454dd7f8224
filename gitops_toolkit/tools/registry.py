"""A container registry as containerd pulls from it (the Docker Registry HTTP API v2 with token authentication, as
GitLab's registry speaks it): the challenge at /v2/, a pull token from the realm it names with the pull Secret's
login, then the manifest. Used to check that the cluster's pull credential works; never pushes."""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from pathlib import Path

from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.tools.http import Answer, https_at

MANIFEST_TYPES = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')


def _refused(what: str, answer: Answer) -> ToolError:
    """The registry's own words for a refusal, as `crictl pull` would show them ("denied: access forbidden")."""
    try:
        errors = json.loads(answer.body or b"{}").get("errors") or []
        said = "; ".join(f"{e.get('code', '').lower()}: {e.get('message', '')}" for e in errors)
    except (ValueError, AttributeError):
        said = ""
    return ToolError(f"{what}: HTTP {answer.status}" + (f" ({said})" if said else ""))


def pull_manifest(
    registry: str, address: str, ca_file: Path, login: tuple[str, str], repository: str, reference: str
) -> str:
    """The digest (or "") of `registry/repository:reference` fetched with `login`; ToolError saying what refused."""
    base = f"https://{registry}"
    challenge = https_at(f"{base}/v2/", address, ca_file)
    token = ""
    if challenge.status == 401:
        fields = dict(_CHALLENGE.findall(challenge.headers.get("www-authenticate", "")))
        if "realm" not in fields:
            raise ToolError(f"{registry}: asks for a login but names no token realm")
        query = urllib.parse.urlencode({"service": fields.get("service", ""), "scope": f"repository:{repository}:pull"})
        basic = base64.b64encode(f"{login[0]}:{login[1]}".encode()).decode()
        granted = https_at(f"{fields['realm']}?{query}", address, ca_file, {"Authorization": f"Basic {basic}"})
        if granted.status != 200:
            raise _refused(f"{registry}: the login was refused", granted)
        token = str(json.loads(granted.body or b"{}").get("token") or "")
    headers = {"Accept": MANIFEST_TYPES} | ({"Authorization": f"Bearer {token}"} if token else {})
    manifest = https_at(f"{base}/v2/{repository}/manifests/{reference}", address, ca_file, headers)
    if manifest.status != 200:
        raise _refused(f"{registry}/{repository}:{reference}", manifest)
    return manifest.headers.get("docker-content-digest", "")
