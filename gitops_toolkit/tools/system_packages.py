"""The packages the tests and the alert checks run, installed when missing and this is a Debian-family machine
where we are root: promtool, amtool, a real Prometheus and Alertmanager; for the tests also sshd, iproute2 and
sudo (hosts in network namespaces), rsync, and gitlab-ci-local from npm."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

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
    "rsync": "rsync",  # gitlab-ci-local copies the project into each job's directory with it
}
# What the tests run from npm: GitLab CI jobs on this machine (4.60 is the last release for Node 20).
NPM_FOR_TESTS = {"gitlab-ci-local": "gitlab-ci-local@4.60.0"}
# Node's headers as Debian's nodejs package installs them; node-gyp would download them from the internet.
NODE_HEADERS = "/usr/include/node"


def missing_packages(commands: dict[str, str]) -> list[str]:
    return sorted({package for command, package in commands.items() if shutil.which(command) is None})


def install_npm_missing() -> int:
    """Install the tests' npm tools that are missing, globally, at their pinned versions."""
    packages = [package for command, package in NPM_FOR_TESTS.items() if shutil.which(command) is None]
    if not packages:
        return 0
    if shutil.which("npm") is None:
        print(
            f"missing {', '.join(packages)}: install Node.js 20, then npm install -g {' '.join(packages)}",
            file=sys.stderr,
        )
        return 1
    command = ["npm", "install", "--global", "--no-fund", "--no-audit", "--loglevel=error", *packages]
    environment = dict(os.environ)
    if Path(NODE_HEADERS, "node.h").is_file():  # a native module builds against them, never downloads Node's
        environment["npm_config_nodedir"] = str(Path(NODE_HEADERS).parent.parent)
    if subprocess.run(command, env=environment, check=False).returncode != 0:
        print(f"`{' '.join(command)}` failed", file=sys.stderr)
        return 1
    return 0


def install_missing(required: bool = True, for_tests: bool = False) -> int:
    """Install what is missing with apt-get (and, for the tests, npm). When this is not possible (not root, no
    apt-get), say what to install; that is a failure only when `required` (the tests need them; the gate only
    warns without them)."""
    packages = missing_packages({**REQUIRED, **(FOR_TESTS if for_tests else {})})
    if not packages:
        return install_npm_missing() if for_tests else 0
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print(f"missing {', '.join(packages)}: install them (apt-get install {' '.join(packages)})", file=sys.stderr)
        return 1 if required else 0
    environment = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *packages]):
        if subprocess.run(command, env=environment, check=False).returncode != 0:
            print(f"`{' '.join(command)}` failed", file=sys.stderr)
            return 1
    return install_npm_missing() if for_tests else 0


if __name__ == "__main__":
    sys.exit(install_missing(for_tests="--tests" in sys.argv[1:]))
