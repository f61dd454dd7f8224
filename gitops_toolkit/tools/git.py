"""The one place that runs git."""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path

from gitops_toolkit.core.errors import ToolError


def committable_files(root: Path) -> list[Path] | None:
    """Files git tracks or would add under `root` (untracked but not ignored), or None outside a work tree."""
    try:
        completed = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if completed.returncode != 0:
        return None
    names = completed.stdout.decode("utf-8", errors="surrogateescape").split("\0")
    return sorted({root / name for name in names if name})


def origin_url(root: Path) -> str:
    """The URL of the `origin` remote of the work tree at `root`, or "" when there is none."""
    try:
        completed = subprocess.run(
            ["git", "-C", str(root), "remote", "get-url", "origin"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return completed.stdout.strip() if completed.returncode == 0 else ""


class GitError(ToolError):
    """git refused; the message is its first line of complaint."""


# Who the tools' own commits (a bump, a promotion, the rollout drill) are by, when git knows nobody.
TOOL_NAME, TOOL_EMAIL = "gitops-toolkit", "gitops-toolkit@localhost.invalid"


def committer(root: Path) -> tuple[str, ...]:
    """git options that make the tool the author of its commits when no identity is set (a fresh HOME, a CI
    job); none when the user has one, whose identity then stays on the commit."""
    known = subprocess.run(
        ["git", "-C", str(root), "var", "GIT_COMMITTER_IDENT"], capture_output=True, text=True, check=False, timeout=30
    )
    if known.returncode == 0:
        return ()
    return ("-c", f"user.name={TOOL_NAME}", "-c", f"user.email={TOOL_EMAIL}")


def git(root: Path, *arguments: str, timeout: float = 120, options: tuple[str, ...] = ()) -> str:
    """Run git in `root` (with `options` before the command, e.g. committer()); its standard output, or
    GitError naming what failed."""
    try:
        completed = subprocess.run(
            ["git", "-C", str(root), *options, *arguments], capture_output=True, text=True, check=False, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise GitError(f"git {arguments[0]} did not finish within {timeout:g} s") from None
    except OSError as error:
        raise GitError(f"cannot run git ({error.strerror})") from None
    if completed.returncode != 0:
        lines = [line for line in (completed.stderr or completed.stdout).splitlines() if line.strip()]
        complaint = next(
            (line for line in lines if line.startswith(("error:", "fatal:", " ! "))), lines[0] if lines else ""
        )
        raise GitError(f"git {arguments[0]}: {complaint.strip() or f'exit {completed.returncode}'}")
    return completed.stdout


def head_commit(root: Path) -> str:
    """The commit the work tree at `root` has checked out; GitError outside one."""
    return git(root, "rev-parse", "HEAD").strip()


def push_with_token(root: Path, url: str, token: str, ca_file: Path, refspec: str) -> None:
    """Push `refspec` to `url` over HTTPS, the token in an Authorization header passed through git's environment
    (never on a command line, in the remote's URL or in .git/config), the server checked against `ca_file`."""
    basic = base64.b64encode(f"gitops-bootstrap:{token}".encode()).decode()
    environment = {
        **os.environ,
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "http.extraHeader",
        "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}",
        "GIT_SSL_CAINFO": str(ca_file),  # the environment's, not http.sslCAInfo: it would override that
        "GIT_TERMINAL_PROMPT": "0",
    }
    try:
        completed = subprocess.run(
            ["git", "-C", str(root), "push", "--quiet", url, refspec],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
            env=environment,
        )
    except subprocess.TimeoutExpired:
        raise GitError(f"git push to {url} did not finish within 300 s") from None
    if completed.returncode != 0:
        lines = [line.replace(token, "***") for line in completed.stderr.splitlines() if line.strip()]
        raise GitError(f"git push to {url}: {(lines or [f'exit {completed.returncode}'])[-1].strip()}")


def changed_since(root: Path, ref: str) -> set[str]:
    """The files (relative to `root`, as git writes them) that differ between `ref` and the work tree as it is:
    committed since, changed and not committed, or new and not ignored."""
    try:
        git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except GitError:
        raise GitError(
            f"--changed-since {ref}: not a branch, tag or commit of {root}; name one `git log` shows"
        ) from None
    prefix = git(root, "rev-parse", "--show-prefix").strip()  # when `root` is a folder inside the repository
    names = git(root, "diff", "--name-only", "--no-renames", "--relative", ref).splitlines()
    names += git(root, "ls-files", "--others", "--exclude-standard").splitlines()
    return {name.removeprefix(prefix) for name in names if name}
