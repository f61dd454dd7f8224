"""What every drill is given: the cluster, the shop's namespace, how long to wait, and the repository."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gitops_toolkit.checks.drill.waiting import Clock
from gitops_toolkit.tools.cluster_api import ClusterApi


@dataclass(frozen=True)
class DrillSettings:
    cluster: ClusterApi
    clock: Clock
    namespace: str  # where Online Boutique runs (selfheal, drift)
    overlay: Path  # the overlay the rollout drill bumps (its namespace is read from it)
    service: str  # the Deployment the rollout drill rolls
    tag: str = ""  # the tag or digest it rolls to (default: the digest its pods run now)
