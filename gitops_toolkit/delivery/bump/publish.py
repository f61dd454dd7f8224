"""Committing a bump and pushing it so that racing bumps all land: when the remote moved, our commit is dropped,
the edit re-applied on top of the remote's branch and committed again (no merge commit, nobody's update lost),
a bounded number of times."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path

from gitops_toolkit.tools.git import GitError, committer, git

PUSH_ATTEMPTS = 6
# What git says when the remote moved under the push (another push landed first).
_REJECTED = ("fetch first", "non-fast-forward", "cannot lock ref", "failed to update ref")


def work_tree(path: Path) -> Path:
    return Path(git(path, "rev-parse", "--show-toplevel").strip())


def require_clean(root: Path) -> None:
    """A re-applied bump resets the branch to the remote's: tracked changes would be lost, so refuse them."""
    if git(root, "status", "--porcelain", "--untracked-files=no").strip():
        raise GitError(f"{root}: uncommitted changes; commit or stash them first (the bump makes its own commit)")


def commit(root: Path, paths: list[Path], message: str) -> None:
    """Commit the edited files; when git refuses, the files are put back as the commit found them (clean, as
    require_clean() made sure), so that nothing is left half-done or staged."""
    relative = [str(path.relative_to(root)) for path in paths]
    try:
        git(root, "add", "--", *relative)
        git(root, "commit", "--quiet", "-m", message, "--", *relative, options=committer(root))
    except GitError as error:
        git(root, "reset", "--quiet", "--", *relative)
        git(root, "checkout", "--quiet", "--", *relative)
        raise GitError(f"{error}; the edit was undone") from None


def _branch(root: Path) -> str:
    branch = git(root, "symbolic-ref", "--quiet", "--short", "HEAD").strip()
    if not branch:
        raise GitError(f"{root}: not on a branch; check one out first")
    return branch


def push(root: Path, reapply: Callable[[], bool], attempts: int = PUSH_ATTEMPTS) -> int:
    """Push HEAD (our one bump commit) to origin's branch of the same name; on a rejection, fetch, put our
    change back on top of the remote's branch with `reapply()` (True when it committed something) and try
    again. The number of attempts it took."""
    branch = _branch(root)
    for attempt in range(1, attempts + 1):
        try:
            git(root, "push", "--quiet", "origin", f"HEAD:refs/heads/{branch}")
            return attempt
        except GitError as error:
            if not any(sign in str(error) for sign in _REJECTED):
                raise
        git(root, "fetch", "--quiet", "origin", branch)
        ahead = git(root, "rev-list", "--count", "FETCH_HEAD..HEAD").strip()
        if ahead != "1":
            raise GitError(f"{root}: {ahead} commits not on origin/{branch}; push them first, then bump again")
        git(root, "reset", "--quiet", "--hard", "FETCH_HEAD")
        if not reapply():
            return attempt  # the remote already holds these tags
        time.sleep(random.uniform(0.05, 0.25) * attempt)  # two racing pushers, out of step next time
    raise GitError(f"the remote's {branch} kept moving: gave up after {attempts} attempts; run the bump again")
