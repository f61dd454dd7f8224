"""The one place that talks SSH to the hosts: pyinfra (paramiko underneath), with host keys checked strictly
against the inventory's known_hosts file (an unknown or changed key refuses the host, never trust on first use)
and a connect timeout, all hosts in parallel. Plain data in, per-host output or one-line reason out.

pyinfra runs in a worker process of its own (`tools/pyinfra_worker.py`): its hosts are gevent greenlets, truly
parallel only once gevent has patched the standard library (as pyinfra's own CLI does first thing), which must
never happen in this process (the gate's threads would become greenlets). Requests go over the worker's stdin,
secrets included (never on its command line); answers come back as JSON lines on its stdout."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class SshTarget:
    name: str
    address: str
    port: int
    user: str
    identity_file: Path
    known_hosts_file: Path


# Why a host's key refused it: not in the known_hosts file, or a different one there.
HOST_KEY_UNKNOWN, HOST_KEY_CHANGED = "unknown", "changed"


@dataclass(frozen=True)
class Outcome:
    output: str | None = None  # what the command printed, when it ran
    error: str | None = None  # why the host could not be reached or the command failed, on one line
    host_key: str = ""  # HOST_KEY_UNKNOWN or HOST_KEY_CHANGED when its key refused the host


@dataclass(frozen=True)
class Secret:
    """A word of a command that is sent to the host but never shown: not in logs, errors or output."""

    value: str


@dataclass(frozen=True)
class Upload:
    """A file written on the host, with its mode: staged beside it, then renamed over it."""

    path: str
    content: str
    mode: str = "0644"


# A shell command as words (strings are passed to the shell as they are), or a file to write.
Command = tuple[str | Secret, ...] | Upload


@dataclass(frozen=True)
class Step:
    label: str  # what the step does, for the operator; never holds a secret
    commands: tuple[Command, ...]


@dataclass(frozen=True)
class StepsOutcome:
    completed: int  # how many steps, from the first, finished
    error: str = ""  # why the next one failed (or the host could not be reached), on one line


def encode_command(command: Command) -> dict[str, Any]:
    if isinstance(command, Upload):
        return {"upload": asdict(command)}
    return {"words": [{"secret": w.value} if isinstance(w, Secret) else {"text": w} for w in command]}


def decode_command(data: dict[str, Any]) -> Command:
    if "upload" in data:
        return Upload(**data["upload"])
    return tuple(Secret(w["secret"]) if "secret" in w else str(w["text"]) for w in data["words"])


def encode_target(target: SshTarget) -> dict[str, Any]:
    return {
        **asdict(target),
        "identity_file": str(target.identity_file),
        "known_hosts_file": str(target.known_hosts_file),
    }


def decode_target(data: dict[str, Any]) -> SshTarget:
    return SshTarget(
        **{**data, "identity_file": Path(data["identity_file"]), "known_hosts_file": Path(data["known_hosts_file"])}
    )


class SshSession:
    """One pyinfra worker for a whole run: started at once, so that its imports overlap the caller's own work,
    and asked one request after another. Closing it (or leaving the `with` block) ends the worker."""

    def __init__(self) -> None:
        self._errors = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed by close())
        self._process = subprocess.Popen(
            [sys.executable, "-m", "gitops_toolkit.tools.pyinfra_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._errors,
            text=True,
        )

    def __enter__(self) -> SshSession:
        return self

    def __exit__(self, *exception: object) -> None:
        self.close()

    def close(self) -> None:
        if self._process.stdin and not self._process.stdin.closed:
            self._process.stdin.close()
        self._process.terminate()  # every request has its answer by now, or never will
        self._process.wait()
        if self._process.stdout:
            self._process.stdout.close()
        self._errors.close()

    def _request(
        self, request: dict[str, Any], targets: list[SshTarget], on_event: Callable[[dict[str, Any]], None]
    ) -> Any:
        """Its answer; a worker that died is one line (its last words) for every host."""
        assert self._process.stdin is not None and self._process.stdout is not None
        try:
            self._process.stdin.write(json.dumps({**request, "targets": [encode_target(t) for t in targets]}) + "\n")
            self._process.stdin.flush()
            for line in self._process.stdout:
                event = json.loads(line)
                if "answer" in event:
                    return event["answer"]
                on_event(event)
        except (BrokenPipeError, json.JSONDecodeError):
            pass
        self._process.wait()
        self._errors.seek(0)
        last = [line for line in self._errors.read().splitlines() if line.strip()][-1:] or [
            f"exit {self._process.returncode}"
        ]
        return {"failed": f"the SSH worker stopped: {last[0].strip()}"}

    def run_command(self, targets: list[SshTarget], command: str, connect_timeout: float = 5.0) -> dict[str, Outcome]:
        """Run one command on every target; {target name: Outcome}. Its output is returned, never logged."""
        request = {"action": "command", "command": command, "connect_timeout": connect_timeout}
        answer = self._request(request, targets, lambda event: None)
        if "failed" in answer:
            return {target.name: Outcome(error=answer["failed"]) for target in targets}
        return {name: Outcome(**outcome) for name, outcome in answer.items()}

    def run_steps(
        self,
        targets: list[SshTarget],
        steps: dict[str, list[Step]],
        connect_timeout: float = 5.0,
        on_step: Callable[[str, str], None] = lambda host, label: None,
    ) -> dict[str, StepsOutcome]:
        """Run each target's steps in order, hosts in parallel and independent of one another; a host stops at
        its first failing step. `on_step(host, label)` is told of each step that finished, as it finishes."""
        request = {
            "action": "steps",
            "connect_timeout": connect_timeout,
            "steps": {
                name: [{"label": s.label, "commands": [encode_command(c) for c in s.commands]} for s in host_steps]
                for name, host_steps in steps.items()
            },
        }
        answer = self._request(request, targets, lambda event: on_step(*event["step"]))
        if "failed" in answer:
            return {target.name: StepsOutcome(0, answer["failed"]) for target in targets if steps.get(target.name)}
        return {name: StepsOutcome(**outcome) for name, outcome in answer.items()}
