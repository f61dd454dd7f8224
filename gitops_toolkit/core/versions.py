"""Versions the whole repository is pinned to, and how versions compare. Change them here and nowhere else."""

# The Kubernetes minor the manifests are validated against (schemas from kubernetes-validate).
KUBERNETES_VERSION = "1.37"


def version_key(version: str) -> tuple[int, ...]:
    """ "1.37" or "1.37.2" as numbers, so that 1.9 sorts before 1.10."""
    return tuple(int(part) for part in version.split(".") if part.isdigit())
