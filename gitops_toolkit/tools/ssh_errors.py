"""Why an SSH connection failed, as a person would say it: pyinfra wraps paramiko's exceptions into
`ConnectError("Could not connect ([Errno None] Unable to connect to port 22 on ...)")`; the exception it wrapped
(its __context__) says what really happened. Imported by the pyinfra worker only (paramiko is loaded there)."""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator

from paramiko import AuthenticationException, BadHostKeyException, SSHException
from paramiko.ssh_exception import NoValidConnectionsError

from gitops_toolkit.tools.ssh import HOST_KEY_CHANGED, HOST_KEY_UNKNOWN, SshTarget

_SOCKET_REASONS = {
    errno.ECONNREFUSED: "connection refused on port {port}: is sshd running, and on that port?",
    errno.EHOSTUNREACH: "no route to {address}: is the host up, and on this network?",
    errno.ENETUNREACH: "the network of {address} is unreachable from here",
    errno.ETIMEDOUT: "no answer on port {port} within {timeout:g} s: is the address right, or a firewall in between?",
}


def no_answer(target: SshTarget, seconds: float) -> str:
    return _SOCKET_REASONS[errno.ETIMEDOUT].format(port=target.port, address=target.address, timeout=seconds)


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error and those it was raised while handling, outermost first (bounded: chains are short)."""
    seen: BaseException | None = error
    for _ in range(8):
        if seen is None:
            return
        yield seen
        seen = seen.__cause__ or seen.__context__


def _socket_reason(error: OSError, target: SshTarget, timeout: float) -> str:
    if isinstance(error, NoValidConnectionsError) and error.errors:
        first = next(iter(error.errors.values()))
        error = first if isinstance(first, OSError) else error
    template = _SOCKET_REASONS.get(error.errno or 0)
    if isinstance(error, TimeoutError | socket.timeout):
        template = _SOCKET_REASONS[errno.ETIMEDOUT]
    if template is None:
        return f"cannot connect to port {target.port}: {error.strerror or error}"
    return template.format(port=target.port, address=target.address, timeout=timeout)


def connect_failure(error: BaseException, target: SshTarget, timeout: float) -> tuple[str, str]:
    """(HOST_KEY_CHANGED, HOST_KEY_UNKNOWN or "", the reason on one line)."""
    known_hosts = target.known_hosts_file
    for cause in _causes(error):
        if isinstance(cause, BadHostKeyException) or "does not match" in str(cause):
            return HOST_KEY_CHANGED, f"its host key is not the one {known_hosts} holds for {target.address}"
        if isinstance(cause, SSHException) and "No host key" in str(cause):
            return HOST_KEY_UNKNOWN, f"{known_hosts} holds no host key for {target.address}"
        if isinstance(cause, AuthenticationException):
            return "", (
                f"user {target.user} was refused with the key {target.identity_file}: add its public half to "
                f"~{target.user}/.ssh/authorized_keys on the host"
            )
        if isinstance(cause, socket.gaierror):
            return "", f"{target.address} does not resolve; use the host's IP address"
        if isinstance(cause, FileNotFoundError | PermissionError):
            return "", f"cannot read {cause.filename}: {cause.strerror}"
        if isinstance(cause, OSError):
            return "", _socket_reason(cause, target, timeout)
        if isinstance(cause, EOFError):
            return "", f"port {target.port} closed the connection before SSH began: is it sshd that listens there?"
    return "", " ".join(str(error).split())
