"""`invoke drill` against a stand-in for the cluster whose controllers act as a real cluster's would
(tests/stand_in_cluster.py): each drill passes when the platform repairs itself, fails with a diagnostics
bundle when it does not in time, and undoes what it did in every case, Ctrl-C included. The rollout drill pushes
through git to a bare remote that the stand-in's Argo CD renders with kustomize."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_toolkit.checks.drill.command import INTERRUPTED, drill_command
from gitops_toolkit.tools.kustomize import kustomize_build
from tests.conftest import REPOSITORY
from tests.git_repos import git
from tests.stand_in_cluster import SHOP, StandInCluster
from tests.stand_in_rollouts import StandInRollouts

DEV_OVERLAY = Path("gitops-repo") / "apps" / "online-boutique" / "overlays" / "dev"
POLL = 0.01  # the stand-in moves one step per request: no need to wait between looks


def drill(
    cluster: StandInCluster, root: Path, name: str, timeout: float = 5, output_format: str = "json", overlay: str = ""
) -> int:
    return drill_command(
        root,
        name,
        timeout,
        output_format=output_format,
        overlay=overlay,
        poll_seconds=POLL,
        connect_to=lambda kubeconfig, context: cluster,
    )


def report(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    document: dict[str, object] = json.loads(capsys.readouterr().out)
    return document


def statuses(document: dict[str, object]) -> dict[str, str]:
    return {check["id"]: check["status"] for check in document["checks"]}  # type: ignore[attr-defined]


def test_selfheal_passes_when_the_deleted_pod_is_replaced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cluster = StandInCluster()
    before = {name for namespace, name in cluster.pods if name.startswith("frontend")}
    assert drill(cluster, tmp_path, "selfheal") == 0
    assert statuses(report(capsys)) == {"DRILL-SELFHEAL": "pass"}
    deleted = [call[2] for call in cluster.calls if call[:2] == ("delete", "pod")]
    assert len(deleted) == 1 and deleted[0] in before
    after = {name for namespace, name in cluster.pods if name.startswith("frontend")}
    assert deleted[0] not in after and len(after) == 1
    assert cluster.deployments[(SHOP, "frontend")]["status"]["availableReplicas"] == 1


def test_selfheal_times_out_with_a_bundle_when_no_new_pod_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster = StandInCluster()
    cluster.new_pods_start = False
    assert drill(cluster, tmp_path, "selfheal", timeout=0.3) == 1
    document = report(capsys)
    [check] = document["checks"]  # type: ignore[misc]
    assert check["status"] == "fail" and "not within 0.3 s" in check["detail"] and "no new Ready pod" in check["detail"]
    bundle = Path(str(document["diagnostics"]))
    assert bundle.is_file() and bundle.parent == tmp_path / "reports" and bundle.name.startswith("drill-selfheal-")
    assert cluster.closed


def test_drift_passes_when_argo_cd_puts_the_replicas_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cluster = StandInCluster()
    assert drill(cluster, tmp_path, "drift", output_format="text") == 0
    out = capsys.readouterr()
    assert out.out.startswith("PASS  DRILL-DRIFT") and "scaled Deployment online-boutique/cartservice to 2" in out.out
    assert "myself" not in out.err
    assert cluster.deployments[(SHOP, "cartservice")]["spec"]["replicas"] == 1


def test_drift_times_out_without_self_heal_and_puts_the_replicas_back_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster = StandInCluster()
    cluster.self_heal = False
    assert drill(cluster, tmp_path, "drift", timeout=0.3) == 1
    assert statuses(report(capsys)) == {"DRILL-DRIFT": "fail"}
    assert cluster.deployments[(SHOP, "cartservice")]["spec"]["replicas"] == 1


def test_drift_interrupted_still_puts_the_replicas_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cluster = StandInCluster()
    cluster.self_heal = False
    cluster.interrupt_after = 8  # Ctrl-C while the drill waits for Argo CD
    assert drill(cluster, tmp_path, "drift") == INTERRUPTED
    captured = capsys.readouterr()
    assert captured.out == "" and "interrupted; what the drill changed was undone" in captured.err
    assert ("scale", "deployment", "cartservice", "-n", SHOP, "--replicas=2") in cluster.calls
    assert cluster.deployments[(SHOP, "cartservice")]["spec"]["replicas"] == 1


def test_alert_passes_when_the_crash_loop_reaches_slack_critical_and_resolves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster = StandInCluster()
    assert drill(cluster, tmp_path, "alert") == 0
    assert statuses(report(capsys)) == {"DRILL-ALERT-FIRING": "pass", "DRILL-ALERT-RESOLVED": "pass"}
    [namespace] = cluster.created_namespaces
    assert namespace.startswith("drill-alert-") and ("delete", "namespace", namespace) == next(
        call[:3] for call in cluster.calls if call[:2] == ("delete", "namespace")
    )
    assert namespace not in cluster.namespaces and not cluster.alerts
    assert not [key for key in cluster.pods if key[0] == namespace]


def test_alert_that_never_resolves_keeps_the_firing_pass_and_fails_the_resolution(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster = StandInCluster()
    cluster.resolving = False
    assert drill(cluster, tmp_path, "alert", timeout=0.3) == 1
    [firing, resolution] = report(capsys)["checks"]  # type: ignore[misc]
    assert (firing["id"], firing["status"]) == ("DRILL-ALERT-FIRING", "pass")
    assert (resolution["id"], resolution["status"]) == ("DRILL-ALERT", "fail")
    assert "resolved: not within 0.3 s (last seen: still active)" in resolution["detail"]
    assert not [name for name in cluster.namespaces if name.startswith("drill-alert-")]


@pytest.mark.parametrize("interrupt", [False, True])
def test_alert_removes_its_namespace_on_timeout_and_on_ctrl_c(
    interrupt: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster = StandInCluster()
    cluster.alerting = False
    if interrupt:
        cluster.interrupt_after = 6
    assert drill(cluster, tmp_path, "alert", timeout=0.3) == (INTERRUPTED if interrupt else 1)
    captured = capsys.readouterr()
    if not interrupt:
        assert statuses(json.loads(captured.out)) == {"DRILL-ALERT": "fail"}
    assert not [name for name in cluster.namespaces if name.startswith("drill-alert-")]
    assert not [key for key in cluster.pods if key[0].startswith("drill-alert-")]


@pytest.mark.parametrize("name", ["selfheal", "drift", "alert"])
def test_an_unreachable_cluster_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """One line, the reason, and no claim to undo what was never done."""
    cluster = StandInCluster()
    cluster.unreachable = True
    assert drill(cluster, tmp_path, name) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1 and "connection refused" in captured.err
    assert "delet" not in captured.err and not [call for call in cluster.calls if call[0] == "delete"]


@pytest.fixture
def platform_checkout(tmp_path: Path) -> tuple[Path, Path]:
    """A bare remote holding the application's manifests (what Argo CD follows), and a checkout of it."""
    app = Path("gitops-repo") / "apps" / "online-boutique"
    seed = tmp_path / "seed"
    shutil.copytree(REPOSITORY / app, seed / app, ignore=shutil.ignore_patterns("examples"))
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    git(seed, "init", "--quiet", "--initial-branch=main")
    git(seed, "add", ".")
    git(seed, "commit", "--quiet", "-m", "seed")
    git(seed, "push", "--quiet", str(remote), "main")
    git(tmp_path, "clone", "--quiet", str(remote), "checkout")
    return remote, tmp_path / "checkout"


def rendered_overlay(remote: Path, workspace: Path, overlay: Path) -> list[dict[str, Any]]:
    """The overlay as the remote's main branch renders it (what Argo CD applies)."""
    head = git(remote, "rev-parse", "main").strip()
    tree = workspace / f"argo-{head[:12]}"
    if not tree.exists():
        git(workspace, "clone", "--quiet", "--depth", "1", f"file://{remote}", str(tree))
    return [document for document in yaml.safe_load_all(kustomize_build(tree / overlay, 60, 2 * 1024**3)) if document]


def argo_cd_renders(remote: Path, workspace: Path, overlay: Path = DEV_OVERLAY) -> dict[tuple[str, str], str]:
    """The overlay's Deployment images as the remote's main branch renders them."""
    return {
        (document["metadata"]["namespace"], document["metadata"]["name"]): document["spec"]["template"]["spec"][
            "containers"
        ][0]["image"]
        for document in rendered_overlay(remote, workspace, overlay)
        if document["kind"] == "Deployment"
    }


def test_rollout_pushes_a_new_image_watches_it_roll_and_reverts(
    platform_checkout: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    remote, checkout = platform_checkout
    rendered: dict[str, dict[tuple[str, str], str]] = {}

    def desired() -> dict[tuple[str, str], str]:
        head = git(remote, "rev-parse", "main").strip()
        if head not in rendered:
            rendered[head] = argo_cd_renders(remote, tmp_path)
        return rendered[head]

    original = argo_cd_renders(remote, tmp_path)[("online-boutique-dev", "frontend")]
    cluster = StandInCluster(shop_deployments=())
    cluster.add_deployment("online-boutique-dev", "frontend", original)
    cluster.desired_images = desired
    cluster.settle()
    overlay_before = (checkout / DEV_OVERLAY / "kustomization.yaml").read_text(encoding="utf-8")

    assert drill(cluster, tmp_path, "rollout", timeout=30, overlay=str(checkout / DEV_OVERLAY)) == 0
    document = report(capsys)
    assert statuses(document) == {"DRILL-ROLLOUT": "pass"}
    log = git(remote, "log", "--format=%s", "main").splitlines()
    assert log[0].startswith('Revert "Bump frontend to sha256:') and log[1].startswith("Bump frontend to sha256:")
    assert git(remote, "show", f"main:{DEV_OVERLAY}/kustomization.yaml") == overlay_before
    rolled = {image for images in rendered.values() for image in images.values()}
    assert any("@sha256:" in image for image in rolled)  # Argo CD did apply the digest
    assert (
        cluster.deployments[("online-boutique-dev", "frontend")]["spec"]["template"]["spec"]["containers"][0]["image"]
        == original
    )


PROD_OVERLAY = Path("gitops-repo") / "apps" / "online-boutique" / "overlays" / "prod"
BAD_TAG = "v0.10.6-broken"


def canary_cluster(remote: Path, workspace: Path) -> tuple[StandInCluster, StandInRollouts]:
    """Production as rendered from the remote: its frontend Deployment scaled down by the Rollout that runs its
    template, behind the stand-in for Argo Rollouts acting on the rendered Rollout, route and analysis."""
    rendered: dict[str, dict[tuple[str, str], str]] = {}

    def desired() -> dict[tuple[str, str], str]:
        head = git(remote, "rev-parse", "main").strip()
        if head not in rendered:
            rendered[head] = argo_cd_renders(remote, workspace, PROD_OVERLAY)
        return rendered[head]

    documents = {(d["kind"], d["metadata"]["name"]): d for d in rendered_overlay(remote, workspace, PROD_OVERLAY)}
    cluster = StandInCluster(shop_deployments=())
    cluster.add_deployment(SHOP, "frontend", desired()[(SHOP, "frontend")], replicas=0)
    cluster.desired_images = desired
    controller = StandInRollouts(
        cluster,
        documents[("Rollout", "frontend")],
        documents[("HTTPRoute", "frontend")],
        documents[("AnalysisTemplate", "frontend-canary")],
    )
    cluster.rollouts = controller
    controller.failing_images.add(f"{desired()[(SHOP, 'frontend')].split(':')[0]}:{BAD_TAG}")
    cluster.settle()
    return cluster, controller


def test_canary_aborts_a_bad_tag_promotes_a_good_one_and_reverts_both(
    platform_checkout: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    remote, checkout = platform_checkout
    cluster, controller = canary_cluster(remote, tmp_path)
    start = controller.stable_image
    overlay_before = (checkout / PROD_OVERLAY / "kustomization.yaml").read_text(encoding="utf-8")
    result = drill_command(
        checkout,
        "canary",
        30,
        output_format="json",
        bad_tag=BAD_TAG,
        poll_seconds=POLL,
        connect_to=lambda kubeconfig, context: cluster,
    )
    document = report(capsys)
    assert result == 0, document
    assert statuses(document) == {"DRILL-CANARY-ABORT": "pass", "DRILL-CANARY-PROMOTE": "pass"}
    # The bad tag was judged once, at the first weight, and failed; the good one passed both analyses.
    bad, good = [j for j in controller.judged if BAD_TAG in j[0]], [j for j in controller.judged if "@sha256:" in j[0]]
    assert [(weight, success < 0.95) for _, weight, success in bad] == [(10, True)]
    assert [(weight, success < 0.95) for _, weight, success in good] == [(10, False), (50, False)]
    log = git(remote, "log", "--format=%s", "main").splitlines()
    assert [line.split(" ")[0] for line in log[:4]] == ["Revert", "Bump", "Revert", "Bump"]
    assert git(remote, "show", f"main:{PROD_OVERLAY}/kustomization.yaml") == overlay_before
    assert controller.stable_image == start and controller.rollout["status"]["phase"] == "Healthy"
    weights = [b["weight"] for b in controller.route["spec"]["rules"][0]["backendRefs"]]
    assert weights == [100, 0]


def test_canary_fails_with_a_bundle_when_the_bad_tag_is_promoted(
    platform_checkout: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An analysis that lets errors through (here: the bad tag's pods answer fine) is a failed drill."""
    remote, checkout = platform_checkout
    cluster, controller = canary_cluster(remote, tmp_path)
    controller.failing_images.clear()
    result = drill_command(
        checkout,
        "canary",
        3,
        output_format="json",
        bad_tag=BAD_TAG,
        poll_seconds=POLL,
        connect_to=lambda kubeconfig, context: cluster,
    )
    document = report(capsys)
    assert result == 1
    [check] = document["checks"]  # type: ignore[misc]
    assert check["id"] == "DRILL-CANARY" and "the canary aborted" in check["detail"]
    assert git(remote, "log", "--format=%s", "-1", "main").startswith("Revert")
    assert controller.rollout["status"]["phase"] == "Healthy" and controller.stable_image.endswith(":v0.10.6")
