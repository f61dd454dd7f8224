"""The pyinfra side of tools/ssh.py, in a process of its own: gevent patches the standard library before anything
else is imported (as pyinfra's CLI does), so that the hosts' greenlets really run in parallel; paramiko's threads
would otherwise block one another. It reads one request (JSON) on stdin and writes JSON lines on stdout: a
`step` event per step finished, then the `answer`. pyinfra's and paramiko's own logging stay silent, so that
nothing they would print (commands included) reaches the operator."""

from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import logging  # noqa: E402
import posixpath  # noqa: E402
import sys  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Callable, Generator, Iterator, Sequence  # noqa: E402
from dataclasses import asdict  # noqa: E402
from io import StringIO  # noqa: E402
from typing import Any  # noqa: E402

from gitops_toolkit.tools.ssh import (  # noqa: E402
    Command,
    Outcome,
    Secret,
    SshTarget,
    Step,
    StepsOutcome,
    Upload,
    decode_command,
    decode_target,
)
from gitops_toolkit.tools.ssh_errors import connect_failure, no_answer  # noqa: E402

logging.getLogger("pyinfra").setLevel(logging.CRITICAL)
logging.getLogger("pyinfra").propagate = False
logging.getLogger("paramiko").setLevel(logging.CRITICAL)

COMMAND_TIMEOUT_SECONDS = 900  # kubeadm init pulls images; nothing else comes close


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
    from pyinfra.api.inventory import Inventory
    from pyinfra.api.state import State

    inventory = Inventory(([(t.name, _host_data(t, connect_timeout)) for t in targets], {}))  # type: ignore[no-untyped-call]
    state = State(inventory, Config(CONNECT_TIMEOUT=connect_timeout))  # type: ignore[no-untyped-call]

    by_name = {target.name: target for target in targets}

    def connect(host: Any) -> Outcome | None:
        try:
            host.connect(show_errors=False, raise_exceptions=True)
        except Exception as error:  # pyinfra's ConnectError, and what paramiko raises beyond it (EOF, banners)
            host_key, reason = connect_failure(error, by_name[host.name], connect_timeout)
            return Outcome(error=_one_line(reason), host_key=host_key)
        return None

    attempts = {state.pool.spawn(connect, host): host for host in inventory}
    gevent.joinall(list(attempts), timeout=connect_timeout * 3)
    failed: dict[str, Outcome] = {}
    connected = []
    for attempt, host in attempts.items():
        late = Outcome(error=no_answer(by_name[host.name], connect_timeout * 3))
        outcome = attempt.value if attempt.ready() else late
        if outcome is not None:
            attempt.kill(block=False)
            failed[host.name] = outcome
        else:
            state.activate_host(host)
            connected.append(host)
    return state, connected, failed


def _disconnect(hosts: list[Any]) -> None:
    for host in hosts:
        host.disconnect()


def run_command(targets: list[SshTarget], command: str, connect_timeout: float) -> dict[str, Outcome]:
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
    targets: list[SshTarget], steps: dict[str, list[Step]], connect_timeout: float, on_step: Callable[[str, str], None]
) -> dict[str, StepsOutcome]:
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


# The answers' channel; anything else that prints (pyinfra's progress, gevent) goes to stderr instead.
_ANSWERS = sys.stdout
sys.stdout = sys.stderr


def _emit(event: dict[str, Any]) -> None:
    _ANSWERS.write(json.dumps(event) + "\n")
    _ANSWERS.flush()


def _answer(request: dict[str, Any]) -> dict[str, Any]:
    targets = [decode_target(target) for target in request["targets"]]
    timeout = float(request["connect_timeout"])
    if request["action"] == "command":
        return {name: asdict(o) for name, o in run_command(targets, request["command"], timeout).items()}
    steps = {
        name: [Step(s["label"], tuple(decode_command(c) for c in s["commands"])) for s in host_steps]
        for name, host_steps in request["steps"].items()
    }
    outcomes = run_steps(targets, steps, timeout, lambda host, label: _emit({"step": [host, label]}))
    return {name: asdict(outcome) for name, outcome in outcomes.items()}


def main() -> None:
    # pyinfra's modules load now, while the caller is still busy with its own work.
    import pyinfra.api.operations
    import pyinfra.facts.server  # noqa: F401

    for line in sys.stdin:
        _emit({"answer": _answer(json.loads(line))})


if __name__ == "__main__":
    main()
