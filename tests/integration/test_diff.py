"""`invoke diff` on real commits of a copy of this repository: the resource a change touches and nothing else,
an overlay that appears, a Secret whose values never show, a chart version named as the cause; the user's
checkout is never touched (the base is rendered in a temporary worktree)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
import tarfile
from pathlib import Path
from typing import Any

from tests.conftest import REPOSITORY, invoke
from tests.git_repos import git

APP = Path("gitops-repo") / "apps" / "online-boutique"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def committed(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "-m", message)


def diff(root: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return invoke(root, "--search-root", str(REPOSITORY), "diff", "--root", str(root), *arguments, timeout=600)


def changes(root: Path, base: str = "HEAD~1") -> list[dict[str, Any]]:
    result = diff(root, "--base", base, "--format", "json")
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout)["changes"])


def repository(path: Path) -> Path:
    git(path, "init", "--quiet", "--initial-branch=main")
    committed(path, "as shipped")
    return path


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def with_three_adservice_replicas(copy: Path) -> Path:
    """The copy as a repository whose last commit gives production's adservice a third replica."""
    root = repository(copy)
    replace_in(
        root / APP / "overlays" / "prod" / "kustomization.yaml",
        "name: adservice\n    count: 2",
        "name: adservice\n    count: 3",
    )
    committed(root, "three adservice replicas")
    return root


def test_a_replica_change_is_that_one_deployment(repository_copy: Path) -> None:
    root = with_three_adservice_replicas(repository_copy)
    found = changes(root)
    assert [(c["change"], c["kind"], c["namespace"], c["name"]) for c in found] == [
        ("changed", "Deployment", "online-boutique", "adservice")
    ]
    assert "-  replicas: 2\n+  replicas: 3\n" in found[0]["diff"]
    assert found[0]["source"] == "online-boutique-prod"
    assert git(root, "worktree", "list").count("\n") == 1, "a worktree was left behind"
    exit_code = diff(root, "--base", "HEAD~1", "--exit-code")
    assert exit_code.returncode == 1 and "1 changed" in exit_code.stdout


def test_a_new_overlay_is_added_and_a_secret_change_never_shows_its_values(repository_copy: Path) -> None:
    root = repository(repository_copy)
    staging = root / APP / "overlays" / "staging"
    staging.mkdir()
    (staging / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: online-boutique-staging\n"
        "resources:\n  - ../../base\n  - smtp.yaml\n",
        encoding="utf-8",
    )
    secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: smtp\nstringData:\n  password: {}\n"
    (staging / "smtp.yaml").write_text(secret.format("first-value-4711"), encoding="utf-8")
    committed(root, "staging")
    added = changes(root)
    assert added and {c["change"] for c in added} == {"added"}
    assert {c["namespace"] for c in added} == {"online-boutique-staging"}
    assert any(c["kind"] == "Deployment" and c["name"] == "frontend" for c in added)

    (staging / "smtp.yaml").write_text(secret.format("second-value-4712"), encoding="utf-8")
    committed(root, "rotate the SMTP password")
    result = diff(root, "--base", "HEAD~1", "--format", "markdown")
    assert result.returncode == 0, result.stderr
    assert "first-value-4711" not in result.stdout and "second-value-4712" not in result.stdout
    [changed] = changes(root)
    assert (changed["kind"], changed["name"], changed["notes"]) == (
        "Secret",
        "smtp",
        ["its data changed (values redacted)"],
    )


def test_a_chart_version_bump_is_named_as_the_cause(repository_copy: Path) -> None:
    root = repository(repository_copy)
    charts = root / "gitops-repo" / "charts"
    bumped = _repackaged(charts / "metrics-server-3.13.1.tgz", "3.13.1", "3.13.2")
    (charts / "metrics-server-3.13.2.tgz").write_bytes(bumped)
    lock = root / "gitops-repo" / "charts.lock.yaml"
    lock.write_text(
        lock.read_text(encoding="utf-8")
        + "  - name: metrics-server\n    version: 3.13.2\n"
        + "    repository: https://kubernetes-sigs.github.io/metrics-server/\n"
        + f"    sha256: {hashlib.sha256(bumped).hexdigest()}\n",
        encoding="utf-8",
    )
    replace_in(root / "gitops-repo" / "platform" / "metrics-server" / "application.yaml", "3.13.1", "3.13.2")
    committed(root, "metrics-server 3.13.2")
    found = changes(root)
    chart_output = [c for c in found if c["source"] == "metrics-server" and c["kind"] == "Deployment"]
    assert (
        chart_output
        and "rendered by chart metrics-server 3.13.2 (was chart metrics-server 3.13.1)" in chart_output[0]["notes"]
    )
    assert any(c["kind"] == "Application" and c["name"] == "metrics-server" for c in found)


def _repackaged(archive: Path, old: str, new: str) -> bytes:
    """The same chart under another version number: what a new chart release looks like to the gate."""
    out = io.BytesIO()
    with tarfile.open(archive) as source, tarfile.open(fileobj=out, mode="w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read() if member.isfile() else None  # type: ignore[union-attr]
            if data is not None and member.name.endswith("/Chart.yaml") and member.name.count("/") == 1:
                data = data.replace(f"version: {old}".encode(), f"version: {new}".encode())
                member.size = len(data)
            target.addfile(member, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


def test_an_overlay_that_does_not_render_is_an_error_not_a_deletion(repository_copy: Path) -> None:
    """Argo CD would fail to sync a broken overlay, not delete what it deploys: the diff says which and why."""
    root = repository(repository_copy)
    prod = root / APP / "overlays" / "prod" / "kustomization.yaml"
    replace_in(prod, "../../components/tracing", "../../components/tracin")
    result = diff(root, "--base", "HEAD", "--format", "markdown")
    assert (result.returncode, result.stdout) == (2, ""), result
    [line] = result.stderr.splitlines()
    assert "the working tree does not render" in line and "Application online-boutique-prod" in line
    assert f"{APP.as_posix()}/overlays/prod/kustomization.yaml" in line and "GUARD-MISSING-FILE" in line
    assert "components/tracin` does not exist" in line

    replace_in(prod, "../../components/tracin", "../../components/tracing")
    (prod.parent / "missing-target.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: no-such-service\nspec:\n  replicas: 1\n",
        encoding="utf-8",
    )
    replace_in(prod, "patches:\n", "patches:\n  - path: missing-target.yaml\n")
    committed(root, "a patch for a Deployment nobody has")
    result = diff(root, "--base", "HEAD~1", "--head", "HEAD")
    assert (result.returncode, result.stdout) == (2, ""), result
    [line] = result.stderr.splitlines()
    assert line.startswith("diff: HEAD does not render") and "RENDER-FAILED" in line, line
    assert "no-such-service" in line, "kustomize's own reason is shown"


def test_a_ref_that_does_not_exist_is_named(repository_copy: Path) -> None:
    root = repository(repository_copy)
    result = diff(root, "--base", "no-such-branch")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("diff: no-such-branch: not a branch, tag or commit"), result.stderr


def test_both_sides_checked_out_at_once_have_worktrees_of_their_own(repository_copy: Path) -> None:
    from gitops_toolkit.delivery.diff.sides import checked_out

    root = repository(repository_copy)
    (root / "README.md").write_text("second commit\n", encoding="utf-8")
    committed(root, "a second commit")
    with checked_out(root, "HEAD~1") as base, checked_out(root, "HEAD") as head:
        assert base.name != head.name
        assert {base.name, head.name} <= {path.name for path in (root / ".git" / "worktrees").iterdir()}
        assert not (base / "README.md").exists() and (head / "README.md").exists()
    assert git(root, "worktree", "list").count("\n") == 1, "a worktree was left behind"


def test_a_secret_applied_by_kubectl_never_shows_its_values(repository_copy: Path) -> None:
    """kubectl's last-applied-configuration annotation repeats the whole Secret, values included."""
    root = repository(repository_copy)
    secret = root / APP / "overlays" / "prod" / "smtp.yaml"
    replace_in(root / APP / "overlays" / "prod" / "kustomization.yaml", "resources:\n", "resources:\n  - smtp.yaml\n")
    values = [base64.b64encode(f"{word}-value-4711".encode()).decode() for word in ("first", "second")]

    def write(encoded: str) -> None:
        applied = json.dumps({"apiVersion": "v1", "kind": "Secret", "data": {"password": encoded}})
        secret.write_text(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: smtp\n  annotations:\n"
            f"    {LAST_APPLIED}: {json.dumps(applied)}\n    team: shop\ndata:\n  password: {encoded}\n",
            encoding="utf-8",
        )

    write(values[0])
    committed(root, "smtp")
    write(values[1])
    for output_format in ("text", "markdown", "json"):
        result = diff(root, "--base", "HEAD", "--format", output_format)
        assert result.returncode == 0, result.stderr
        assert "Secret online-boutique/smtp" in result.stdout or '"smtp"' in result.stdout
        for value in values:
            assert value not in result.stdout and base64.b64decode(value).decode() not in result.stdout
    [changed] = changes(root, base="HEAD")
    assert changed["notes"] == ["its data changed (values redacted)"]
    [added] = changes(root)  # the commit that added it: every line shown, the values and kubectl's copy blanked
    assert f"+    {LAST_APPLIED}: <redacted>\n+    team: shop\n" in added["diff"], added["diff"]


def test_the_markdown_note_says_what_a_change_adds_to_the_requests(repository_copy: Path) -> None:
    root = with_three_adservice_replicas(repository_copy)
    result = diff(root, "--base", "HEAD~1", "--format", "markdown")
    assert result.returncode == 0, result.stderr
    requests = result.stdout.split("#### Requests (base → head)", 1)[1]
    rows = [line for line in requests.splitlines() if line.startswith("| online-boutique")]
    # one more adservice pod: 200m and 180Mi at the minimum and the maximum alike
    assert rows == [
        "| online-boutique-prod | 2.47 CPU → 2.67 CPU | 2.4 GiB → 2.5 GiB | 4.47 CPU → 4.67 CPU | 4.2 GiB → 4.3 GiB "
        "| 0 → 0 |"
    ]
