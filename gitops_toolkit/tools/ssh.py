"""The one place that talks SSH to the hosts: pyinfra (paramiko underneath), with host keys checked strictly
against the inventory's known_hosts file (an unknown or changed key refuses the host, never trust on first use)
and a connect timeout, all hosts in parallel. Plain data in, per-host output or one-line reason out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def run_read_only(targets: list[SshTarget], command: str, connect_timeout: float = 5.0) -> dict[str, Outcome]:
    """Run a command that changes nothing on every target; {target name: Outcome}."""
    import gevent
    from pyinfra.api.config import Config
    from pyinfra.api.exceptions import ConnectError
    from pyinfra.api.facts import get_facts
    from pyinfra.api.inventory import Inventory
    from pyinfra.api.state import State
    from pyinfra.facts.server import Command

    def data(target: SshTarget) -> dict[str, object]:
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
        }

    inventory = Inventory(([(target.name, data(target)) for target in targets], {}))  # type: ignore[no-untyped-call]
    state = State(inventory, Config(CONNECT_TIMEOUT=connect_timeout))  # type: ignore[no-untyped-call]

    def connect(host: object) -> str:
        try:
            host.connect(show_errors=False, raise_exceptions=True)  # type: ignore[attr-defined]
        except ConnectError as error:
            return _one_line(error.args[0] if error.args else error)
        except Exception as error:  # paramiko raises more than it declares (EOF, banners, key files)
            return _one_line(f"{type(error).__name__}: {error}")
        return ""

    attempts = {state.pool.spawn(connect, host): host for host in inventory}
    gevent.joinall(list(attempts), timeout=connect_timeout * 3)
    outcomes: dict[str, Outcome] = {}
    for attempt, host in attempts.items():
        reason = attempt.value if attempt.ready() else f"no answer within {connect_timeout * 3:g} s"
        if reason:
            attempt.kill(block=False)
            outcomes[host.name] = Outcome(error=reason)
        else:
            state.activate_host(host)
    connected = [host for host in inventory if host.name not in outcomes]
    if connected:
        try:
            facts = get_facts(state, Command, kwargs={"command": command})  # type: ignore[no-untyped-call]
        except Exception as error:  # a failed command on one host: say so for every connected host
            facts = {host: error for host in connected}
        for host, value in facts.items():
            failed = isinstance(value, Exception) or value is None
            outcomes[host.name] = Outcome(error=_one_line(value)) if failed else Outcome(output=str(value))
        for host in connected:
            host.disconnect()
    return outcomes
