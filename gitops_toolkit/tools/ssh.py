"""The one place that talks SSH to the hosts: pyinfra (paramiko underneath), with host keys checked strictly
against the inventory's known_hosts file (an unknown or changed key refuses the host, never trust on first use)
and a connect timeout, all hosts in parallel. Plain data in, per-host output or one-line reason out; pyinfra's
logging is kept to itself so that nothing it would print (commands included) reaches the operator's screen."""

from __future__ import annotations

import logging
import posixpath
import uuid
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

logging.getLogger("pyinfra").setLevel(logging.CRITICAL)
logging.getLogger("pyinfra").propagate = False
logging.getLogger("paramiko").setLevel(logging.CRITICAL)

COMMAND_TIMEOUT_SECONDS = 900  # kubeadm init pulls images; nothing else comes close


@dataclass(frozen=True)
class SshTarget:
    name: str
    address: str
    port: int
    user: str
    identity_file: Path
    known_hosts_file: Path


@dataclass(frozen=True)
class Outcome:
    output: str | None = None  # what the command printed, when it ran
    error: str | None = None  # why the host could not be reached or the command failed, on one line


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


def _one_line(text: object, secrets: Sequence[str] = ()) -> str:
    line = " ".join(str(text).split())
    for secret in secrets:
        line = line.replace(secret, "***")
    return line


def _host_data(target: SshTarget, connect_timeout: float) -> dict[str, object]:
    return {
        "ssh_hostname": target.address,
        "ssh_port": target.port,
        "ssh_user": target.user,
        "ssh_key": str(target.identity_file),
        "ssh_known_hosts_file": str(target.known_hosts_file),
        "ssh_strict_host_key_checking": "yes",
        "ssh_allow_agent": False,
        "ssh_look_for_keys": False,
        "ssh_paramiko_connect_kwargs": {"timeout": connect_timeout, "banner_timeout": connect_timeout},
        # Any other user runs every command through `sudo -n` (passwordless sudo, no prompt to hang on).
        "_sudo": target.user != "root",
    }


def _connected(targets: list[SshTarget], connect_timeout: float) -> tuple[Any, list[Any], dict[str, Outcome]]:
    """A pyinfra state with every reachable target connected, those hosts, and why the others were not."""
    import gevent
    from pyinfra.api.config import Config
    from pyinfra.api.exceptions import ConnectError
    from pyinfra.api.inventory import Inventory
    from pyinfra.api.state import State

    inventory = Inventory(([(t.name, _host_data(t, connect_timeout)) for t in targets], {}))  # type: ignore[no-untyped-call]
    state = State(inventory, Config(CONNECT_TIMEOUT=connect_timeout))  # type: ignore[no-untyped-call]

    def connect(host: Any) -> str:
        try:
            host.connect(show_errors=False, raise_exceptions=True)
        except ConnectError as error:
            return _one_line(error.args[0] if error.args else error)
        except Exception as error:  # paramiko raises more than it declares (EOF, banners, key files)
            return _one_line(f"{type(error).__name__}: {error}")
        return ""

    attempts = {state.pool.spawn(connect, host): host for host in inventory}
    gevent.joinall(list(attempts), timeout=connect_timeout * 3)
    failed: dict[str, Outcome] = {}
    connected = []
    for attempt, host in attempts.items():
        reason = attempt.value if attempt.ready() else f"no answer within {connect_timeout * 3:g} s"
        if reason:
            attempt.kill(block=False)
            failed[host.name] = Outcome(error=reason)
        else:
            state.activate_host(host)
            connected.append(host)
    return state, connected, failed


def _disconnect(hosts: list[Any]) -> None:
    for host in hosts:
        host.disconnect()


def run_command(targets: list[SshTarget], command: str, connect_timeout: float = 5.0) -> dict[str, Outcome]:
    """Run one command on every target; {target name: Outcome}. Its output is returned, never logged."""
    from pyinfra.api.facts import get_facts
    from pyinfra.facts.server import Command as CommandFact

    state, connected, outcomes = _connected(targets, connect_timeout)
    if connected:
        try:
            facts = get_facts(state, CommandFact, kwargs={"command": command})  # type: ignore[no-untyped-call]
        except Exception as error:  # a failed command on one host: say so for every connected host
            facts = {host: error for host in connected}
        for host, value in facts.items():
            failed = isinstance(value, Exception) or value is None
            outcomes[host.name] = Outcome(error=_one_line(value)) if failed else Outcome(output=str(value))
        _disconnect(connected)
    return outcomes


def _pyinfra_commands(commands: tuple[Command, ...]) -> Iterator[Any]:
    from pyinfra.api.command import FileUploadCommand, QuoteString, StringCommand
    from pyinfra.api.hiddenvalue import HiddenValue

    for command in commands:
        if isinstance(command, Upload):
            unique = uuid.uuid4().hex[:12]
            staged = f"{command.path}.gitops-bootstrap-{unique}"
            # Through sudo, pyinfra hands the file over from a path the SSH user can write: a random name in its
            # home (relative to it), never a predictable name in a world-writable /tmp that another user could
            # swap before root copies it.
            handover = f".gitops-bootstrap-upload-{unique}"
            yield StringCommand("mkdir", "-p", QuoteString(posixpath.dirname(command.path)))
            yield FileUploadCommand(StringIO(command.content), staged, remote_temp_filename=handover)
            # Complete and with its mode before it takes the file's place: never half-written.
            yield StringCommand(
                "chmod",
                command.mode,
                QuoteString(staged),
                "&&",
                "mv",
                "-f",
                QuoteString(staged),
                QuoteString(command.path),
            )
        else:
            words = [HiddenValue(w.value) if isinstance(w, Secret) else w for w in command]  # type: ignore[no-untyped-call]
            yield StringCommand(*words)


def run_steps(
    targets: list[SshTarget],
    steps: dict[str, list[Step]],
    connect_timeout: float = 5.0,
    on_step: Callable[[str, str], None] = lambda host, label: None,
) -> dict[str, StepsOutcome]:
    """Run each target's steps in order, hosts in parallel and independent of one another; a host stops at its
    first failing step. `on_step(host, label)` is told of each step that finished."""
    from pyinfra.api.operation import add_op, operation
    from pyinfra.api.operations import run_ops

    @operation(is_idempotent=False)
    def run_step(commands: tuple[Command, ...]) -> Generator[Any, None, None]:
        yield from _pyinfra_commands(commands)

    wanted = [target for target in targets if steps.get(target.name)]
    state, connected, failed = _connected(wanted, connect_timeout)
    outcomes = {name: StepsOutcome(0, outcome.error or "") for name, outcome in failed.items()}
    metas: dict[str, list[Any]] = {}
    for host in connected:
        metas[host.name] = [
            add_op(state, run_step, step.commands, name=step.label, host=host, _timeout=COMMAND_TIMEOUT_SECONDS)[host]
            for step in steps[host.name]
        ]
    state.add_callback_handler(_step_callbacks(on_step, {host.name: steps[host.name] for host in connected}))
    if connected:
        run_ops(state, no_wait=True)
    for host in connected:
        secrets = [
            w.value
            for step in steps[host.name]
            for c in step.commands
            if not isinstance(c, Upload)
            for w in c
            if isinstance(w, Secret)
        ]
        completed = 0
        error = ""
        for step, meta in zip(steps[host.name], metas[host.name], strict=True):
            if meta.is_complete() and meta.did_succeed():
                completed += 1
                continue
            if meta.is_complete():
                detail = meta.stderr or meta.stdout or "failed"
                error = f"{step.label}: {_one_line(detail.splitlines()[-1] if detail.strip() else detail, secrets)}"
            else:
                error = f"{step.label}: not run (the connection was lost)"
            break
        outcomes[host.name] = StepsOutcome(completed, error)
    _disconnect(connected)
    return outcomes


def _step_callbacks(on_step: Callable[[str, str], None], steps: dict[str, list[Step]]) -> Any:
    """A pyinfra callback handler telling the caller of each step that finished on a host, as it happens."""
    from pyinfra.api.state import BaseStateCallback

    done: dict[str, int] = {}

    class StepCallbacks(BaseStateCallback):
        @staticmethod
        def operation_host_success(state: Any, host: Any, op_hash: str, retry_attempt: int = 0) -> None:
            position = done.get(host.name, 0)
            if position < len(steps[host.name]):
                on_step(host.name, steps[host.name][position].label)
            done[host.name] = position + 1

    return StepCallbacks()
