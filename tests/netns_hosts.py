"""Hosts for the bootstrap tests: each a network namespace on a bridge of our own, with its own sshd and its own
filesystem overlay (writes land in the host's upper directories; the machine's own /etc is never touched).
Addresses are in 10.200.<n>.0/24 on the bridge the test creates: nothing else is ever dialled."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_OVERLAID = ("etc", "opt", "srv", "var", "root", "home", "usr")
_START_SECONDS = 10.0
_PRODUCT_UUID = "/sys/class/dmi/id/product_uuid"
STAND_INS = Path(__file__).parent / "stand_ins"
# A fresh machine's PATH for root: sshd must not hand the test process's own (virtualenvs, pyenv shims) on.
_HOST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def stand_in_files(**state: str) -> dict[str, str]:
    """The stand-ins (tests/stand_ins/) at their place on a host, with initial state files
    (`modules_available="overlay"` writes /var/lib/stand-ins/modules-available)."""
    files = {
        f"/usr/local/lib/stand-ins/{path.name}" if path.name.endswith(".sh") else f"/usr/local/sbin/{path.name}": (
            path.read_text(encoding="utf-8")
        )
        for path in STAND_INS.iterdir()
        if path.suffix != ".md"
    }
    defaults = {"modules_available": "overlay\nbr_netfilter\n", "swaps": "", "fail": ""}
    for name, content in {**defaults, **state}.items():
        files[f"/var/lib/stand-ins/{name.replace('_', '-')}"] = content
    return files


@dataclass(frozen=True)
class NetnsHost:
    name: str
    address: str
    directory: Path  # its sshd configuration, host key and overlay directories
    pid: int  # sshd's

    @property
    def host_public_key(self) -> str:
        return (self.directory / "ssh_host_ed25519_key.pub").read_text(encoding="utf-8").strip()


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=30)


def key_pair(path: Path) -> Path:
    """A new ed25519 key pair without a passphrase: `path` and `path`.pub."""
    _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path))
    return path


def available() -> str:
    """Why these hosts cannot be made here ("" when they can)."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    missing = [tool for tool in ("ip", "unshare", "ssh-keygen", "/usr/sbin/sshd", "sudo") if not shutil.which(tool)]
    return f"missing {', '.join(missing)} (python -m gitops_toolkit.tools.system_packages --tests)" if missing else ""


def _sshd_config(host: Path, address: str) -> str:
    return "\n".join(
        [
            f"ListenAddress {address}",
            f"HostKey {host / 'ssh_host_ed25519_key'}",
            f"PidFile {host / 'sshd.pid'}",
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "StrictModes no",
            "Subsystem sftp internal-sftp",
            "",
        ]
    )


def _add_sudoer(upper: Path, user: str, client_public_key: str) -> None:
    """A user who may run anything through passwordless sudo, as cloud images create (written into the host's
    own /etc, never the machine's)."""
    uid = 4242
    for name, line in (
        ("passwd", f"{user}:x:{uid}:{uid}::/home/{user}:/bin/sh"),
        ("group", f"{user}:x:{uid}:"),
        ("shadow", f"{user}:*:19000:0:99999:7:::"),
    ):
        original = Path("/etc", name).read_text(encoding="utf-8")
        (upper / "etc" / name).write_text(original.rstrip("\n") + f"\n{line}\n", encoding="utf-8")
    sudoers = upper / "etc" / "sudoers.d" / user
    sudoers.parent.mkdir(parents=True, exist_ok=True)
    sudoers.write_text(f"{user} ALL=(ALL) NOPASSWD: ALL\n", encoding="utf-8")
    sudoers.chmod(0o440)
    keys = upper / "home" / user / ".ssh"
    keys.mkdir(parents=True, exist_ok=True)
    (keys / "authorized_keys").write_text(client_public_key + "\n", encoding="utf-8")
    os.chown(upper / "home" / user, uid, uid)


def _wait_for_port(namespace: str, address: str) -> None:
    deadline = time.monotonic() + _START_SECONDS
    probe = f"exec 3<>/dev/tcp/{address}/22"
    while time.monotonic() < deadline:
        if subprocess.run(["ip", "netns", "exec", namespace, "bash", "-c", probe], capture_output=True).returncode == 0:
            return
        time.sleep(0.05)
    raise TimeoutError(f"sshd of {namespace} did not listen on {address}:22 within {_START_SECONDS:g} s")


def _kill_namespace_processes(namespace: str) -> None:
    listed = subprocess.run(["ip", "netns", "pids", namespace], capture_output=True, text=True, timeout=30)
    for pid in listed.stdout.split():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), 9)


@contextlib.contextmanager
def netns_hosts(
    workspace: Path,
    names: list[str],
    client_public_key: str,
    subnet: int,
    files: dict[str, str] | None = None,
    sudoer: str = "",
) -> Iterator[list[NetnsHost]]:
    """Start one sshd host per name on a fresh bridge; everything is torn down on exit, also on failure.
    `files` ({absolute path: content}) are put in every host's filesystem before it starts: stand-ins and their
    state, which tests then change in place (a file created in an overlay's upper directory after the mount may
    stay invisible to the host). `sudoer` names a user besides root who logs in with the same key and may sudo."""
    prefix = f"gt{subnet}"
    bridge = f"{prefix}br"
    gateway = f"10.200.{subnet}.1"
    namespaces: list[str] = []
    links: list[str] = []
    processes: list[subprocess.Popen[bytes]] = []
    # What a run killed before its teardown may have left with these names.
    for number, name in enumerate(names, start=11):
        subprocess.run(["ip", "link", "del", f"{prefix}v{number}"], capture_output=True, timeout=30)
        subprocess.run(["ip", "netns", "del", f"{prefix}{name}"], capture_output=True, timeout=30)
    subprocess.run(["ip", "link", "del", bridge], capture_output=True, timeout=30)
    try:
        _run("ip", "link", "add", bridge, "type", "bridge")
        _run("ip", "addr", "add", f"{gateway}/24", "dev", bridge)
        _run("ip", "link", "set", bridge, "up")
        hosts = []
        for number, name in enumerate(names, start=11):
            namespace, address = f"{prefix}{name}", f"10.200.{subnet}.{number}"
            directory = workspace / name
            for part in _OVERLAID:
                (directory / "upper" / part).mkdir(parents=True, exist_ok=True)
                (directory / "work" / part).mkdir(parents=True, exist_ok=True)
            for file, content in (files or {}).items():
                part, _, rest = file.lstrip("/").partition("/")
                target = directory / "upper" / part / rest
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(content, encoding="utf-8")
                target.chmod(0o755)
            # bash sources root's ~/.bashrc for every SSH command: a fresh machine's, not this one's (pyenv shims).
            for profile in (".bashrc", ".profile"):
                (directory / "upper" / "root" / profile).write_text("", encoding="utf-8")
            ssh = directory / "upper" / "root" / ".ssh"
            ssh.mkdir(parents=True, exist_ok=True)
            (ssh / "authorized_keys").write_text(client_public_key + "\n", encoding="utf-8")
            if sudoer:
                _add_sudoer(directory / "upper", sudoer, client_public_key)
            _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(directory / "ssh_host_ed25519_key"))
            (directory / "sshd_config").write_text(_sshd_config(directory, address), encoding="utf-8")
            _run("ip", "netns", "add", namespace)
            namespaces.append(namespace)
            # Both ends named after this bridge: parallel test workers never race for one name.
            outside, inside = f"{prefix}v{number}", f"{prefix}i{number}"
            links.append(outside)
            _run("ip", "link", "add", outside, "type", "veth", "peer", "name", inside, "netns", namespace)
            _run("ip", "link", "set", outside, "master", bridge, "up")
            _run("ip", "netns", "exec", namespace, "ip", "addr", "add", f"{address}/24", "dev", inside)
            _run("ip", "netns", "exec", namespace, "ip", "link", "set", inside, "up")
            _run("ip", "netns", "exec", namespace, "ip", "link", "set", "lo", "up")
            # Every host would show the machine's own product_uuid: give each its own, as separate machines have.
            (directory / "product_uuid").write_text(f"{name}-{subnet}-uuid\n", encoding="utf-8")
            uuid = f"if [ -e {_PRODUCT_UUID} ]; then mount --bind {directory}/product_uuid {_PRODUCT_UUID}; fi"
            mounts = "; ".join(
                f"mount -t overlay overlay -o lowerdir=/{part},upperdir={directory}/upper/{part},"
                f"workdir={directory}/work/{part} /{part}"
                for part in _OVERLAID
            )
            script = (
                f"hostname {name}; {mounts}; {uuid}; mkdir -p /run/sshd; "
                f"exec env -i PATH={_HOST_PATH} /usr/sbin/sshd -D -e -f {directory}/sshd_config"
            )
            process = subprocess.Popen(
                [
                    "ip",
                    "netns",
                    "exec",
                    namespace,
                    "unshare",
                    "--mount",
                    "--uts",
                    "--propagation",
                    "private",
                    "sh",
                    "-c",
                    script,
                ],
                stdout=subprocess.DEVNULL,
                stderr=(directory / "sshd.log").open("wb"),
            )
            processes.append(process)
            _wait_for_port(namespace, address)
            hosts.append(NetnsHost(name, address, directory, process.pid))
        yield hosts
    finally:
        for namespace in namespaces:  # what the hosts started themselves (a stand-in's server): stopped too
            _kill_namespace_processes(namespace)
        for process in processes:
            process.terminate()
        for process in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
            if process.poll() is None:
                process.kill()
        for link in links:  # deleting one end of a veth pair deletes both
            subprocess.run(["ip", "link", "del", link], capture_output=True, timeout=30)
        for namespace in namespaces:
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True, timeout=30)
        subprocess.run(["ip", "link", "del", bridge], capture_output=True, timeout=30)
