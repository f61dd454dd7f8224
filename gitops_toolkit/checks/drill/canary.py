"""canary: a release of the storefront through production's canary, made as the delivery flow makes one (the
image bumped in the prod overlay, committed and pushed; Argo CD applies it; Argo Rollouts shifts the route and
judges it). With --bad-tag, a tag whose pods answer errors: pass when the rollout aborts by itself and the
HTTPRoute sends every request to the stable pods again. Then the good tag (default: the digest the pods already
run, the same bits): pass when it is promoted to 100%. Each bump is reverted through git afterwards (also on
failure or Ctrl-C), and the drill waits for the Rollout to be Healthy again on the image it started from."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from gitops_toolkit.checks.drill.rollout import new_image_of, overlay_namespace, push_tag, revert, running_digest
from gitops_toolkit.checks.drill.settings import DrillSettings
from gitops_toolkit.checks.drill.workloads import container_image, deployment
from gitops_toolkit.checks.smoke.result import PASS, CheckResult
from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.delivery.bump.publish import require_clean, work_tree
from gitops_toolkit.tools.cluster_api import ClusterApi, ClusterError

PROD_OVERLAY = Path("gitops-repo") / "apps" / "online-boutique" / "overlays" / "prod"
PLUGIN = "argoproj-labs/gatewayAPI"


class _Canary:
    """The Rollout under drill, the route it moves and the Services it splits between."""

    def __init__(self, cluster: ClusterApi, namespace: str, name: str) -> None:
        self.cluster, self.namespace, self.name = cluster, namespace, name
        try:
            spec = self.rollout()["spec"]
        except ClusterError:
            raise ClusterError(
                f"no Rollout {namespace}/{name}: the canary drill needs production's canary "
                "(gitops-repo/apps/online-boutique/components/canary) synced"
            ) from None
        canary = spec.get("strategy", {}).get("canary", {})
        plugin = canary.get("trafficRouting", {}).get("plugins", {}).get(PLUGIN, {})
        if not plugin.get("httpRoute"):
            raise ClusterError(f"Rollout {namespace}/{name} is not a canary routed by {PLUGIN}")
        self.route_name = str(plugin["httpRoute"])
        self.route_namespace = str(plugin.get("namespace") or namespace)
        self.stable, self.canary = str(canary["stableService"]), str(canary["canaryService"])
        self.workload = str(spec.get("workloadRef", {}).get("name") or name)

    def rollout(self) -> dict[str, Any]:
        return dict(self.cluster.get("rollouts.argoproj.io", self.name, "-n", self.namespace))

    def canary_weight(self) -> int:
        """The weight the HTTPRoute gives the canary's Service, as the Gateway reads it."""
        route = self.cluster.get("httproutes.gateway.networking.k8s.io", self.route_name, "-n", self.route_namespace)
        weights = {
            str(backend.get("name")): int(backend.get("weight", 1))
            for rule in route.get("spec", {}).get("rules", [])
            for backend in rule.get("backendRefs", [])
        }
        return weights.get(self.canary, 0) if self.stable in weights else 100

    def template_image(self) -> str:
        return container_image(deployment(self.cluster, self.namespace, self.workload))

    def applied(self, image: str) -> Callable[[], str]:
        def state() -> str:
            running = self.template_image()
            return "" if running == image else f"the Deployment's template is {running}"

        return state

    def at_rest(self, image: str) -> Callable[[], str]:
        """Promoted (or back) on `image`: Healthy, the stable ReplicaSet the current one, all traffic on it."""

        def state() -> str:
            status = self.rollout().get("status", {})
            if (phase := status.get("phase")) != "Healthy":
                return f"the Rollout is {phase} ({status.get('message', '')})"
            if status.get("stableRS") != status.get("currentPodHash"):
                return "the new ReplicaSet is not the stable one yet"
            if weight := self.canary_weight():
                return f"the route still sends {weight}% to the canary"
            return self.applied(image)()

        return state

    def aborted(self) -> str:
        status = self.rollout().get("status", {})
        if not status.get("abort"):
            return f"the Rollout is {status.get('phase')}, not aborted"
        if weight := self.canary_weight():
            return f"aborted, but the route still sends {weight}% to the canary"
        return ""


def _release(settings: DrillSettings, canary: _Canary, tag: str, start: str, bad: bool) -> tuple[float, str]:
    """Push `tag`, wait for the canary's outcome, revert; the seconds it took and what happened."""
    overlay = settings.overlay
    root = work_tree(overlay)
    image = new_image_of(start, tag)
    if image == start:
        raise ToolError(f"Rollout {canary.namespace}/{canary.name} already runs {start}; name another tag")
    commit = push_tag(overlay, root, canary.workload, tag)
    clock = settings.clock
    try:
        synced = clock.wait_for(f"Argo CD applying {image}", canary.applied(image))
        if bad:
            judged = clock.wait_for("the canary aborted and the route back on the stable pods", canary.aborted)
        else:
            judged = clock.wait_for(f"the canary of {image} promoted to 100%", canary.at_rest(image))
    finally:
        print(f"drill: reverting {commit[:12]} and pushing", file=sys.stderr)
        revert(root, commit)
        clock.wait_for(f"Rollout {canary.namespace}/{canary.name} Healthy again on {start}", canary.at_rest(start))
    outcome = "aborted it and sent every request to the stable pods" if bad else "promoted it to 100%"
    return round(synced + judged, 1), (
        f"pushed {canary.workload}={tag}; Argo CD applied it after {synced:g} s, Argo Rollouts {outcome} "
        f"{judged:g} s later; reverted"
    )


def canary(settings: DrillSettings) -> Iterator[CheckResult]:
    namespace = overlay_namespace(settings.overlay)
    require_clean(work_tree(settings.overlay))
    release = _Canary(settings.cluster, namespace, settings.service)
    start = release.template_image()
    if trouble := release.at_rest(start)():
        raise ClusterError(f"Rollout {namespace}/{settings.service} is not at rest ({trouble}); run `invoke smoke`")
    if settings.bad_tag:
        yield CheckResult("DRILL-CANARY-ABORT", PASS, *_release(settings, release, settings.bad_tag, start, bad=True))
    good = settings.tag or running_digest(settings.cluster, deployment(settings.cluster, namespace, release.workload))
    yield CheckResult("DRILL-CANARY-PROMOTE", PASS, *_release(settings, release, good, start, bad=False))
