"""What every drill is given: the cluster, the shop's namespace, how long to wait, and the repository."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gitops_toolkit.checks.drill.waiting import Clock
from gitops_toolkit.tools.cluster_api import ClusterApi

# Every drill, with the seconds each of its waits may take by default: PodCrashLooping needs 5 minutes of
# back-off, then its 5 minutes `for`; a canary takes two 2-minute pauses and two 3-minute analyses, then the
# same again for the revert. (Here, not beside the drills themselves, so that naming them imports nothing.)
DEFAULT_TIMEOUTS = {"selfheal": 300, "drift": 300, "rollout": 600, "alert": 1200, "canary": 1800}


@dataclass(frozen=True)
class DrillSettings:
    cluster: ClusterApi
    clock: Clock
    namespace: str  # where Online Boutique runs (selfheal, drift)
    overlay: Path  # the overlay the rollout and canary drills bump (its namespace is read from it)
    service: str  # the Deployment the rollout drill rolls; the Rollout the canary drill releases
    tag: str = ""  # the tag or digest it rolls to (default: the digest its pods run now)
    bad_tag: str = ""  # canary: a tag whose pods answer errors, to see the canary abort
