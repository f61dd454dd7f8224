"""What every verb does with its options before the library runs: a missing or wrong one is one line naming
it (exit 2), an exit code becomes the process's. The repository the verbs work on is the one holding the tasks.py
that loaded them, handed over in the collection's configuration (`repository`)."""

from __future__ import annotations

from pathlib import Path

from invoke.context import Context
from invoke.exceptions import Exit

CONTEXT_HELP = "the kubeconfig context to use (default: its current context)"
KUBECONFIG_HELP = "default: $KUBECONFIG, then ~/.kube/gitops-platform.conf (bootstrap's), then ~/.kube/config"


def repository(c: Context) -> Path:
    return Path(c.config["repository"])


def finish(code: int) -> None:
    if code:
        raise Exit(code=code)


def required(verb: str, option: str, value: str) -> str:
    """A value the verb cannot do without, given as an option (so that `--help` is never taken for it)."""
    if not value:
        raise Exit(f"{verb}: give --{option}; `invoke {verb} --help` says what each option means", code=2)
    return value


def required_path(verb: str, option: str, value: str) -> Path:
    """A file or folder the verb cannot do without (see required)."""
    return Path(required(verb, option, value))


def number(verb: str, option: str, text: str, kind: type[int] | type[float], least: float | None = None) -> float:
    """An option read as a number before any work starts: a wrong one is one line naming it, exit 2."""
    try:
        value = kind(text)
    except ValueError:
        noun = "a whole number" if kind is int else "a number"
        raise Exit(f"{verb}: --{option} must be {noun}, not {text!r}", code=2) from None
    if least is not None and value < least:
        raise Exit(f"{verb}: --{option} must be at least {least:g}, not {text}", code=2)
    return value
