"""`invoke site`: set what differs from one site to the next (the repository URL Argo CD clones and the
pipeline pushes to, with the web address runbook links start with; the domain the shared Gateway answers
for; the LAN range MetalLB hands out) everywhere it appears, in one step that changes every file or none."""

from __future__ import annotations

import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML

from gitops_toolkit.core.address_ranges import networks_of
from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.render.settings import load_config

GATEWAY = Path("gitops-repo/platform/envoy-gateway/gateway/gateway.yaml")
POOL = Path("gitops-repo/platform/metallb/pool/ip-address-pool.yaml")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_URL = re.compile(r"^(https://|ssh://|git@)\S+$")
_TEXT_SUFFIXES = (".yaml", ".yml", ".json", ".toml")
_TREES = ("gitops-repo", "observability", "app-repo")


@dataclass(frozen=True)
class SiteSettings:
    repository_url: str
    domain: str
    lan_range: str


def current_settings(root: Path) -> SiteSettings:
    yaml = YAML(typ="safe")
    gateway = yaml.load((root / GATEWAY).read_text(encoding="utf-8"))
    pool = yaml.load((root / POOL).read_text(encoding="utf-8"))
    hostname = str(gateway["spec"]["listeners"][0]["hostname"])
    return SiteSettings(
        load_config(root).repository_url, hostname.removeprefix("*."), str(pool["spec"]["addresses"][0])
    )


def _check(settings: SiteSettings) -> None:
    if not _URL.match(settings.repository_url):
        raise ToolError(f"repository URL {settings.repository_url!r} must start with https://, ssh:// or git@")
    if not _DOMAIN.match(settings.domain):
        raise ToolError(f"domain {settings.domain!r} is not a DNS name such as lab.example.org")
    try:
        networks_of(settings.lan_range)
    except ValueError as error:
        raise ToolError(f"LAN range {settings.lan_range!r} is not FIRST-LAST or a CIDR ({error})") from None


def _files(root: Path) -> list[Path]:
    """Where the settings appear: the deployed tree, the alert rules (runbook links) and their tests, the
    application pipeline (the repository it commits image bumps to), and the gate's own settings."""
    files = [root / "pyproject.toml"]
    for tree in _TREES:
        files += [p for p in (root / tree).rglob("*") if p.suffix in _TEXT_SUFFIXES and p.is_file()]
    return files


def web_address(repository_url: str) -> str:
    """The project's page on its Git server, which runbook links start with: https://HOST/GROUP/PROJECT for
    https://HOST/GROUP/PROJECT.git, ssh://git@HOST[:PORT]/GROUP/PROJECT.git or git@HOST:GROUP/PROJECT.git."""
    address = repository_url.removesuffix(".git")
    if scp := re.fullmatch(r"[^@/:]+@([^:/]+):(?!//)(.+)", address):
        return f"https://{scp.group(1)}/{scp.group(2)}"
    if ssh := re.fullmatch(r"ssh://(?:[^@/]+@)?([^:/]+)(?::\d+)?/(.+)", address):
        return f"https://{ssh.group(1)}/{ssh.group(2)}"
    return address


def planned_changes(root: Path, old: SiteSettings, new: SiteSettings) -> dict[Path, str]:
    """New contents of every file that changes, each setting replaced in one pass (so that a new value that
    contains an old one is never replaced twice)."""
    replacements = {
        re.escape(old.repository_url): new.repository_url,
        # a link to a page of the project (GitLab's pages start with /-/), e.g. a runbook
        rf"{re.escape(web_address(old.repository_url))}(?=/-/)": web_address(new.repository_url),
        rf"(?<![\d.]){re.escape(old.lan_range)}(?![\d.])": new.lan_range,
        rf"(?<![-a-z0-9]){re.escape(old.domain)}(?![-a-z0-9])": new.domain,
    }
    patterns = list(replacements)
    combined = re.compile("|".join(f"({pattern})" for pattern in patterns))
    values = list(replacements.values())

    def replaced(match: re.Match[str]) -> str:
        return values[next(i for i, group in enumerate(match.groups()) if group is not None)]

    changes = {}
    for path in _files(root):
        text = path.read_text(encoding="utf-8")
        updated = combined.sub(replaced, text)
        if updated != text:
            changes[path] = updated
    return changes


def apply_changes(changes: dict[Path, str]) -> None:
    """Write every file to a temporary sibling first; rename them all only when all are written."""
    staged: list[tuple[str, Path]] = []
    try:
        for path, text in changes.items():
            with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, encoding="utf-8") as handle:
                handle.write(text)
            staged.append((handle.name, path))
    except OSError:
        for temporary, _ in staged:
            os.unlink(temporary)
        raise
    for temporary, path in staged:
        os.replace(temporary, path)


def site_command(root: Path, repository_url: str = "", domain: str = "", lan_range: str = "") -> int:
    try:
        old = current_settings(root)
        new = SiteSettings(repository_url or old.repository_url, domain or old.domain, lan_range or old.lan_range)
        _check(new)
        changes = planned_changes(root, old, new)
        apply_changes(changes)
    except ToolError as error:
        print(f"site: {error}", file=sys.stderr)
        return 2
    except (OSError, KeyError, IndexError, TypeError) as error:
        print(f"site: cannot read the current settings ({error}); is this the platform repository?", file=sys.stderr)
        return 2
    print(
        f"repository {new.repository_url}, domain {new.domain}, LAN range {new.lan_range}: "
        f"{len(changes)} file(s) changed"
    )
    return 0
