"""The Debian packages the tests and the alert checks run (promtool, amtool, a real Prometheus and
Alertmanager; for the tests also sshd and iproute2, for hosts in network namespaces): installed when missing
and this is a Debian-family machine where we are root."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

# command -> Debian package
REQUIRED = {
    "promtool": "prometheus",
    "prometheus": "prometheus",
    "amtool": "prometheus-alertmanager",
    "prometheus-alertmanager": "prometheus-alertmanager",
}


# what only the tests run: sshd hosts in network namespaces
FOR_TESTS = {
    "/usr/sbin/sshd": "openssh-server",
    "ssh-keygen": "openssh-client",
    "ip": "iproute2",
    "unshare": "util-linux",
    "sudo": "sudo",  # the bootstrap as a non-root SSH user
}


def missing_packages(commands: dict[str, str]) -> list[str]:
    return sorted({package for command, package in commands.items() if shutil.which(command) is None})


def install_missing(required: bool = True, for_tests: bool = False) -> int:
    """Install what is missing with apt-get. When this is not possible (not root, no apt-get), say what to
    install; that is a failure only when `required` (the tests need them; the gate only warns without them)."""
    packages = missing_packages({**REQUIRED, **(FOR_TESTS if for_tests else {})})
    if not packages:
        return 0
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print(f"missing {', '.join(packages)}: install them (apt-get install {' '.join(packages)})", file=sys.stderr)
        return 1 if required else 0
    environment = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *packages]):
        if subprocess.run(command, env=environment, check=False).returncode != 0:
            print(f"`{' '.join(command)}` failed", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(install_missing(for_tests="--tests" in sys.argv[1:]))
