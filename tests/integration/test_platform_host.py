"""`invoke bootstrap` with a platform host (GitLab, its registry and a runner), over real SSH against hosts in
network namespaces: stand-ins for the package manager, systemd, gitlab-ctl and gitlab-rails, and a stand-in for
GitLab's REST API and git over HTTPS on the platform host's own address (tests/stand_ins/gitlab-api), started by
the stand-in `gitlab-ctl reconfigure` with the certificate the bootstrap issued. openssl and git are real."""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_toolkit.checks.smoke.command import smoke_command
from gitops_toolkit.hosts.bootstrap.seal_command import seal_platform_command
from tests.conftest import REPOSITORY, nox_validate
from tests.integration.test_bootstrap import MACHINE, _subnet, bootstrap, calls, mutating, operator, planned, state
from tests.integration.test_slack_seal import controller_key, unseal
from tests.netns_hosts import NetnsHost, available, netns_hosts, stand_in_files
from tests.stand_in_cluster import SHOP, StandInCluster
from tests.stand_in_shop import stand_in_shop

pytestmark = pytest.mark.skipif(bool(available()), reason=available() or "")
__all__ = ["operator"]  # the SSH key pair fixture, shared with the cluster's bootstrap tests

GITLAB_PACKAGES = ("gitlab-ce 19.6.0-ce.0", "gitlab-runner 19.6.0-1")
PLATFORM_CHECKS = {
    "PLATFORM-GITLAB-HTTPS",
    "PLATFORM-REGISTRY-TRUSTED",
    "PLATFORM-REGISTRY-PULL",
    "PLATFORM-RUNNER-ONLINE",
    "PLATFORM-GITOPS-SYNCED",
}


@pytest.fixture
def lab(tmp_path: Path, operator: Path) -> Iterator[list[NetnsHost]]:
    public_key = (operator / "id.pub").read_text(encoding="utf-8").strip()
    with netns_hosts(tmp_path / "hosts", ["gitlab", "cp1", "w1"], public_key, _subnet(140), stand_in_files()) as hosts:
        yield hosts


def write_inventory(directory: Path, operator: Path, hosts: list[NetnsHost], **platform: Any) -> Path:
    gitlab, cp1, w1 = hosts
    known_hosts = directory / "known_hosts"
    known_hosts.write_text("".join(f"{h.address} {h.host_public_key}\n" for h in hosts), encoding="utf-8")
    prefix = cp1.address.rsplit(".", 1)[0]
    inventory = {
        "cluster": {
            "kubernetesVersion": "1.37.1",
            "controlPlaneEndpoint": f"{cp1.address}:6443",
            "podSubnet": "10.244.0.0/16",
            "serviceSubnet": "10.96.0.0/12",
        },
        "ssh": {"user": "root", "identityFile": str(operator / "id"), "knownHostsFile": str(known_hosts)},
        "hosts": [
            {"name": "gitlab", "address": gitlab.address, "roles": ["platform"], **MACHINE},
            {"name": "cp1", "address": cp1.address, "roles": ["control-plane"], **MACHINE},
            {"name": "w1", "address": w1.address, "roles": ["worker"], **MACHINE},
        ],
        "metallbRange": f"{prefix}.200-{prefix}.220",
        **({"platform": platform} if platform else {}),
    }
    path = directory / "inventory.yaml"
    path.write_text(yaml.safe_dump(inventory, sort_keys=False), encoding="utf-8")
    return path


def secrets_on(host: NetnsHost) -> list[str]:
    """Every token and password the platform host keeps (the bootstrap's, GitLab's, the runner's)."""
    upper = host.directory / "upper"
    found = []
    for path in [*(upper / "etc" / "gitops-platform" / "tokens").glob("*"), upper / "etc/gitops-platform/api-token"]:
        if path.is_file():
            found += [line for line in path.read_text().splitlines() if len(line) > 12 and "+deploy-token-" not in line]
    return found


def gitlab_state(host: NetnsHost) -> dict[str, Any]:
    return json.loads(state(host, "gitlab/state.json").read_text())


def seal(root: Path, inventory: Path, certificate: Path, capsys: Any) -> tuple[int, str]:
    code = seal_platform_command(root, inventory, certificate)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_plan_apply_and_apply_again(
    lab: list[NetnsHost], operator: Path, tmp_path: Path, capsys: Any, repository_copy: Path
) -> None:
    gitlab, _, w1 = lab
    inventory = write_inventory(tmp_path, operator, lab)
    kubeconfig = tmp_path / "home" / ".kube" / "platform.conf"

    code, plan, printed = bootstrap(capsys, inventory, kubeconfig, "--plan")
    assert code == 0, printed
    on_platform = [summary for host, _, summary in planned(plan) if host == "gitlab"]
    install = next(summary for summary in on_platform if summary.startswith("install "))
    assert all(package in install for package in GITLAB_PACKAGES), install
    assert any("certificate for gitlab.local, registry.local and " + gitlab.address in s for s in on_platform)
    for wanted in ("create the group platform", "create the project platform/app-repo", "GITOPS_TOKEN",
                   "deploy token argocd", "deploy token cluster-pull", "register the instance runner"):  # fmt: skip
        assert any(wanted in summary for summary in on_platform), wanted
    for node in ("cp1", "w1"):
        files = [summary for host, kind, summary in planned(plan) if host == node and kind == "file"]
        assert "create /etc/containerd/certs.d/registry.local:5050/ca.crt" in files
        assert any(summary.endswith(" /etc/hosts") for summary in files), files
    hosts_diff = next(c["diff"] for c in plan["changes"] if c["host"] == "w1" and c["summary"].endswith("/etc/hosts"))
    assert f"+{gitlab.address} gitlab.local registry.local" in hosts_diff
    assert [mutating(host) for host in lab] == [[], [], []], "the plan changed something"
    controller, certificate = controller_key(tmp_path)
    overlay = repository_copy / "gitops-repo/apps/online-boutique/overlays/prod"
    before = (overlay / "kustomization.yaml").read_text()
    code, printed = seal(repository_copy, inventory, certificate, capsys)
    assert code == 1 and "run `invoke bootstrap` first" in printed, printed
    assert (overlay / "kustomization.yaml").read_text() == before and not (
        overlay / "registry-pull.sealedsecret.yaml"
    ).exists()

    code, applied, printed = bootstrap(capsys, inventory, kubeconfig)
    assert code == 0, printed
    assert planned(applied) == planned(plan), "the apply did something else than the plan said"
    assert {c["status"] for c in applied["changes"]} == {"done"}
    gitlab_list = (gitlab.directory / "upper/etc/apt/sources.list.d/gitlab-ce.list").read_text()
    assert "https://packages.gitlab.com/gitlab/gitlab-ce/debian/ bookworm main" in gitlab_list
    ca = (tmp_path / "platform-ca.crt").read_text()
    assert "BEGIN CERTIFICATE" in ca and "fingerprint" in printed
    assert (w1.directory / "upper/etc/containerd/certs.d/registry.local:5050/ca.crt").read_text() == ca
    assert (gitlab.directory / "upper/etc/docker/certs.d/registry.local:5050/ca.crt").read_text() == ca
    verified = subprocess.run(
        ["openssl", "verify", "-CAfile", str(tmp_path / "platform-ca.crt"),
         str(gitlab.directory / "upper/etc/gitlab/ssl/gitlab.local.crt")], capture_output=True, text=True,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stderr
    repositories = gitlab.directory / "upper/var/opt/gitlab/git-data/repositories"
    pushed = subprocess.run(
        ["git", "--git-dir", str(repositories / "platform/gitops-repo.git"), "rev-parse", "main"],
        capture_output=True,
        text=True,
    )
    head = subprocess.run(["git", "-C", str(REPOSITORY), "rev-parse", "HEAD"], capture_output=True, text=True)
    assert pushed.stdout == head.stdout, "gitops-repo's main is not this repository's HEAD"
    recorded = gitlab_state(gitlab)
    app = next(p for p in recorded["projects"] if p["path"] == "app-repo")
    assert [(v["key"], v["masked"], v["protected"]) for v in app["variables"]] == [("GITOPS_TOKEN", True, True)]
    assert all(p["protected_branches"] == ["main"] for p in recorded["projects"])
    runner_config = (gitlab.directory / "upper/etc/gitlab-runner/config.toml").read_text()
    assert 'token = "glrt-' in runner_config and "concurrent = 2" in runner_config
    applied_secrets = {
        (document["metadata"]["namespace"], document["metadata"]["name"]): document
        for path in state(lab[1], "objects").iterdir()
        for document in yaml.safe_load_all(path.read_text())
        if document and document.get("kind") == "Secret"
    }
    credential = applied_secrets[("argocd", "gitops-repository")]
    username = base64.b64decode(credential["data"]["username"]).decode()
    url = base64.b64decode(credential["data"]["url"]).decode()
    assert username.startswith("gitlab+deploy-token-") and url == "https://gitlab.local/platform/gitops-repo.git"
    for namespace in ("online-boutique", "online-boutique-dev"):
        pull = applied_secrets[(namespace, "registry-pull")]
        assert pull["type"] == "kubernetes.io/dockerconfigjson"
        assert pull["metadata"]["annotations"] == {"sealedsecrets.bitnami.com/managed": "true"}
        auths = json.loads(base64.b64decode(pull["data"][".dockerconfigjson"]))["auths"]
        assert list(auths) == ["registry.local:5050"]
        assert auths["registry.local:5050"]["username"].startswith("gitlab+deploy-token-")
        assert auths["registry.local:5050"]["username"] != username, "pulls must not use Argo CD's token"
    keys = secrets_on(gitlab)
    assert len(keys) >= 5 and not any(key in printed for key in keys), "a token was shown"

    code, sealed_printed = seal(repository_copy, inventory, certificate, capsys)
    assert code == 0, sealed_printed
    sealed_files = {
        (Path(file).parent.name, Path(file).name)
        for file in sealed_printed.split()
        if file.endswith(".sealedsecret.yaml")
    }
    assert sealed_files == {
        ("sealed", "gitops-repository.sealedsecret.yaml"),
        ("prod", "registry-pull.sealedsecret.yaml"),
        ("dev", "registry-pull.sealedsecret.yaml"),
    }
    written = [
        repository_copy / "gitops-repo/platform/credentials/sealed/gitops-repository.sealedsecret.yaml",
        overlay / "registry-pull.sealedsecret.yaml",
        overlay.parent / "dev" / "registry-pull.sealedsecret.yaml",
    ]
    for path in written:
        sealed = yaml.safe_load(path.read_text())
        namespace, name = sealed["metadata"]["namespace"], sealed["metadata"]["name"]
        applied_data = applied_secrets[(namespace, name)]["data"]
        opened = {k: unseal(controller, v, f"{namespace}/{name}") for k, v in sealed["spec"]["encryptedData"].items()}
        assert opened == {k: base64.b64decode(v).decode() for k, v in applied_data.items()}, path
        assert sealed["spec"]["template"]["type"] == applied_secrets[(namespace, name)]["type"]
        assert not any(key in path.read_text() for key in keys), f"{path} holds a token in clear"
    assert sealed["spec"]["template"]["type"] == "kubernetes.io/dockerconfigjson"
    repository_template = yaml.safe_load(written[0].read_text())["spec"]["template"]["metadata"]
    assert repository_template["labels"] == {"argocd.argoproj.io/secret-type": "repository"}
    assert not any(key in sealed_printed for key in keys)
    assert (
        "registry-pull.sealedsecret.yaml" in yaml.safe_load((overlay / "kustomization.yaml").read_text())["resources"]
    )
    assert nox_validate(repository_copy) == "", "the sealed credentials do not pass the gate"
    assert "initial_root_password" not in printed or "/etc/gitlab/initial_root_password" in printed

    before = {host.name: len(calls(host)) for host in lab}
    code, again, printed = bootstrap(capsys, inventory, kubeconfig)
    assert (code, again["changes"]) == (0, []), printed
    assert "no changes" in again["summary"]
    assert all(not mutating(host, before[host.name]) for host in lab)
    assert gitlab_state(gitlab) == recorded, "the second run changed something in GitLab"


def test_a_failure_mid_way_resumes(lab: list[NetnsHost], operator: Path, tmp_path: Path, capsys: Any) -> None:
    gitlab = lab[0]
    inventory = write_inventory(tmp_path, operator, lab)
    kubeconfig = tmp_path / "home" / ".kube" / "platform.conf"
    state(gitlab, "fail").write_text("gitlab-rails runner\n")

    code, failed, printed = bootstrap(capsys, inventory, kubeconfig, "--limit", "gitlab")
    assert code == 1, printed
    statuses = [(c["summary"], c["status"]) for c in failed["changes"]]
    assert ("failed" in {status for _, status in statuses}) and "failure injected" in printed
    assert not state(gitlab, "gitlab/state.json").exists(), "GitLab's API was used before it had a token"

    state(gitlab, "fail").write_text("")
    code, resumed, printed = bootstrap(capsys, inventory, kubeconfig, "--limit", "gitlab")
    assert code == 0, printed
    assert not any(c["summary"].startswith("install ") for c in resumed["changes"]), "the packages came again"
    assert {c["status"] for c in resumed["changes"]} == {"done"}


def platform_smoke(cluster: StandInCluster, directory: Path, inventory: Path, url: str) -> dict[str, Any]:
    """Smoke with the inventory; its report (and a failure's diagnostics bundle) written into `directory`."""
    report = directory / "smoke.json"
    connect = lambda kubeconfig, context: cluster  # noqa: E731
    code = smoke_command(REPOSITORY, "", "", url, "json", str(report), SHOP, connect, str(inventory))
    checks = {check["id"]: check for check in json.loads(report.read_text())["checks"]}
    return {"code": code, **{name: check for name, check in checks.items() if name.startswith("PLATFORM-")}}


def test_smoke_checks_the_platform_and_finds_a_node_with_a_wrong_ca(
    lab: list[NetnsHost], operator: Path, tmp_path: Path, capsys: Any
) -> None:
    gitlab, cp1, w1 = lab
    inventory = write_inventory(tmp_path, operator, lab)
    code, _, printed = bootstrap(capsys, inventory, tmp_path / "kubeconfig")
    assert code == 0, printed
    # What the cluster would hold after the bootstrap: the pull Secret it applied, a shop image CI pushed to the
    # registry, and Argo CD synced to gitops-repo's main.
    cluster = StandInCluster()
    pull = next(
        document
        for path in state(cp1, "objects").iterdir()
        for document in yaml.safe_load_all(path.read_text())
        if document and document.get("metadata", {}).get("name") == "registry-pull"
    )
    cluster.secrets[(SHOP, "registry-pull")] = pull
    tag = "f" * 40
    cluster.add_deployment(SHOP, "frontend", f"registry.local:5050/platform/app-repo/frontend:{tag}")
    cluster.settle()
    manifest = state(gitlab, "gitlab/registry/platform/app-repo/frontend") / tag
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json"}))
    head = subprocess.run(["git", "-C", str(REPOSITORY), "rev-parse", "HEAD"], capture_output=True, text=True)
    cluster.applications[0]["status"]["sync"]["revision"] = head.stdout.strip()

    with stand_in_shop() as shop:
        url = f"http://127.0.0.1:{shop.server_port}"
        healthy = platform_smoke(cluster, tmp_path, inventory, url)
        assert healthy["code"] == 0, healthy
        assert set(healthy) - {"code"} == PLATFORM_CHECKS

        # A node whose containerd trusts another CA for the registry: its pulls would fail with x509 errors.
        other_ca = tmp_path / "other-ca.crt"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(tmp_path / "other-ca.key"),
             "-out", str(other_ca), "-days", "1", "-subj", "/CN=someone else's CA"],
            check=True, capture_output=True,
        )  # fmt: skip
        trusted = w1.directory / "upper/etc/containerd/certs.d/registry.local:5050/ca.crt"
        trusted.write_text(other_ca.read_text())
        cluster.applications[0]["status"]["sync"]["revision"] = "0" * 40  # and Argo CD behind git
        # and a pull Secret holding Argo CD's deploy token (read_repository, not read_registry)
        username, token = (gitlab.directory / "upper/etc/gitops-platform/tokens/argocd").read_text().split()
        login = {"username": username, "password": token}
        config = json.dumps({"auths": {"registry.local:5050": login}}).encode()
        cluster.secrets[(SHOP, "registry-pull")]["data"][".dockerconfigjson"] = base64.b64encode(config).decode()
        broken = platform_smoke(cluster, tmp_path, inventory, url)
    assert broken["code"] == 1
    failed = {name for name, check in broken.items() if name != "code" and check["status"] == "fail"}
    assert failed == {"PLATFORM-REGISTRY-TRUSTED", "PLATFORM-REGISTRY-PULL", "PLATFORM-GITOPS-SYNCED"}, broken
    assert "denied: access forbidden" in broken["PLATFORM-REGISTRY-PULL"]["detail"]
    detail = broken["PLATFORM-REGISTRY-TRUSTED"]["detail"]
    assert detail.startswith("w1: ") and "cp1" not in detail and "verif" in detail, detail
    assert "--limit" in broken["PLATFORM-REGISTRY-TRUSTED"]["fix"]
    assert not any(key in json.dumps(broken) for key in secrets_on(gitlab)), "a token was shown"
