"""Versions the whole repository is pinned to. Change them here and nowhere else."""

# The Kubernetes minor the manifests are validated against (schemas from kubernetes-validate).
KUBERNETES_VERSION = "1.37"
