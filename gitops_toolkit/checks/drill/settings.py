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
    overlay: Path  # the overlay the rollout and canary drills bump (its namespace is read from it)
    service: str  # the Deployment the rollout drill rolls; the Rollout the canary drill releases
    tag: str = ""  # the tag or digest it rolls to (default: the digest its pods run now)
    bad_tag: str = ""  # canary: a tag whose pods answer errors, to see the canary abort
