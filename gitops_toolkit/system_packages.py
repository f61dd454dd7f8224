"""The Debian packages the tests and the alert checks run (promtool, amtool, a real Prometheus and
Alertmanager): installed when missing and this is a Debian-family machine where we are root."""

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


def missing_packages() -> list[str]:
    return sorted({package for command, package in REQUIRED.items() if shutil.which(command) is None})


def install_missing(required: bool = True) -> int:
    """Install what is missing with apt-get. When this is not possible (not root, no apt-get), say what to
    install; that is a failure only when `required` (the tests need them; the gate only warns without them)."""
    packages = missing_packages()
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
    sys.exit(install_missing())
