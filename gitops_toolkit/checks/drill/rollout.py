"""rollout: roll a Deployment to another image through git, as the delivery flow does: `bump-image` on the
overlay, committed and pushed to the branch Argo CD follows; pass when Argo CD has applied it and the new
ReplicaSet is fully available. By default the new image is the digest the pods already run: a new ReplicaSet
of the very same bits, so the drill cannot break the shop. Afterwards the bump is reverted the same way (also
on failure or Ctrl-C) and the drill waits for the Deployment to come back."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from gitops_toolkit.checks.drill.settings import DrillSettings
from gitops_toolkit.checks.drill.workloads import container_image, deployment, pods_of, rollout_state
from gitops_toolkit.checks.smoke.result import PASS, CheckResult
from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.core.image_tags import is_digest
from gitops_toolkit.delivery.bump.command import apply_pins, parse_sets, publish_pins
from gitops_toolkit.delivery.bump.kustomization import Kustomization
from gitops_toolkit.delivery.bump.overlay_images import image_name
from gitops_toolkit.delivery.bump.publish import push, require_clean, work_tree
from gitops_toolkit.tools.cluster_api import ClusterApi, ClusterError
from gitops_toolkit.tools.git import committer, git, head_commit


def running_digest(cluster: ClusterApi, item: dict[str, Any]) -> str:
    """The sha256: digest the Deployment's pods run (from the kubelet's imageID)."""
    for pod in pods_of(cluster, item):
        for container in pod.get("status", {}).get("containerStatuses", []):
            image_id = str(container.get("imageID", ""))
            if "sha256:" in image_id:
                return "sha256:" + image_id.rsplit("sha256:", 1)[1]
    raise ClusterError(f"no pod of Deployment {item['metadata']['name']} reports the digest it runs")


def new_image_of(image: str, tag: str) -> str:
    """The image reference kustomize writes for `tag` (a digest or a tag)."""
    return f"{image_name(image)}{'@' if is_digest(tag) else ':'}{tag}"


def revert(root: Path, commit: str) -> None:
    """Undo `commit` as the delivery flow would: a revert commit, pushed."""

    def again() -> bool:
        git(root, "revert", "--no-edit", commit, options=committer(root))
        return True

    again()
    push(root, again)


def push_tag(overlay: Path, root: Path, service: str, tag: str) -> str:
    """`bump-image SERVICE=TAG` on the overlay, committed and pushed to the branch Argo CD follows; the commit."""
    pins = parse_sets([f"{service}={tag}"])
    apply_pins(overlay, pins)
    publish_pins(overlay, pins, root, push_it=True)
    return head_commit(root)


def overlay_namespace(overlay: Path) -> str:
    namespace = str(Kustomization(overlay).data.get("namespace") or "")
    if not namespace:
        raise ToolError(f"{overlay}/kustomization.yaml sets no namespace; the drill cannot tell where it deploys")
    return namespace


def rollout(settings: DrillSettings) -> Iterator[CheckResult]:
    cluster, overlay, service = settings.cluster, settings.overlay, settings.service
    namespace = overlay_namespace(overlay)
    root = work_tree(overlay)
    require_clean(root)
    before = deployment(cluster, namespace, service)
    if state := rollout_state(before):
        raise ClusterError(f"Deployment {namespace}/{service} is not settled ({state}); run `invoke smoke`")
    old_image = container_image(before)
    tag = settings.tag or running_digest(cluster, before)
    new_image = new_image_of(old_image, tag)
    if new_image == old_image:
        raise ToolError(f"Deployment {namespace}/{service} already runs {old_image}; pass --tag with another tag")
    commit = push_tag(overlay, root, service, tag)

    def runs(wanted: str) -> Callable[[], str]:
        def state() -> str:
            image = container_image(deployment(cluster, namespace, service))
            return "" if image == wanted else f"the Deployment runs {image}"

        return state

    try:
        synced = settings.clock.wait_for(f"Argo CD applying {new_image}", runs(new_image))
        ready = settings.clock.wait_for(
            f"the new ReplicaSet of {namespace}/{service} available",
            lambda: rollout_state(deployment(cluster, namespace, service)),
        )
    finally:
        print(f"drill: reverting {commit[:12]} and pushing", file=sys.stderr)
        revert(root, commit)
        settings.clock.wait_for(f"Deployment {namespace}/{service} back on {old_image}", runs(old_image))
    detail = (
        f"pushed {service}={tag} to {overlay}; Argo CD applied it after {synced:g} s, "
        f"the new ReplicaSet was available {ready:g} s later; reverted"
    )
    yield CheckResult("DRILL-ROLLOUT", PASS, round(synced + ready, 1), detail)
