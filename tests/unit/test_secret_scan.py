"""Secrets in git: every committable file is scanned, not only what renders. Credential-shaped strings are
assembled at run time so that this repository itself never holds one."""

from __future__ import annotations

import base64
import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_toolkit.gate.rules.secret_scan import files_to_scan, scan_repository
from gitops_toolkit.render.read.source_files import SourceFiles

Tree = Callable[[dict[str, str | bytes]], Path]


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


def scan(root: Path) -> set[tuple[str, str, int]]:
    return {(f.rule, f.path, f.line) for f in scan_repository(SourceFiles(root))}


def slack_webhook() -> str:
    return (
        "https://hooks.slack.com/"
        + "services/"
        + "/".join(["T0" + "1" * 8, "B0" + "2" * 8, "Zp4Tq9Wm2Lk8" + "Rv3Nc6Hy1Bd5"])
    )


def slack_workflow() -> str:
    return (
        "https://hooks.slack.com/" + "workflows/" + "T0" + "1" * 8 + "/A0" + "2" * 8 + "/" + "3" * 18 + "/" + "y" * 24
    )


def gitlab_token() -> str:
    return "gl" + "pat-" + "Ab3dE6gH9jK2mN5pQ8sT"


def private_key() -> str:
    return (
        "-----"
        + "BEGIN OPENSSH "
        + "PRIVATE KEY-----\n"
        + "b3BlbnNzaC1rZXktdjEAAAAA\n"
        + "-----END OPENSSH "
        + "PRIVATE KEY-----\n"
    )


def docker_config() -> str:
    registry = "registry.local"
    auths = {"auths": {registry: {"auth": base64.b64encode(b"ci:" + b"pw" * 8).decode()}}}
    return base64.b64encode(json.dumps(auths).encode()).decode()


CASES: dict[str, tuple[str, Callable[[], str], int]] = {
    "Slack webhook in Alertmanager values": (
        "observability/alertmanager.yaml",
        lambda: f"receivers:\n  - name: slack\n    api_url: {slack_webhook()}\n",
        3,
    ),
    "Slack workflow webhook (missed by detect-secrets)": (
        "docs/notes.md",
        lambda: f"# notes\n\nPost to {slack_workflow()} on failure.\n",
        3,
    ),
    "GitLab token in a CI file": (
        "app-repo/.gitlab-ci.yml",
        lambda: f"variables:\n  GITOPS_TOKEN: {gitlab_token()}\n",
        2,
    ),
    "private key file": ("platform/ssh/id_ed25519", private_key, 1),
    "kubeconfig client key": (
        "platform/admin.conf",
        lambda: (
            "apiVersion: v1\nkind: Config\nusers:\n  - name: admin\n    user:\n      client-key-data: "
            + base64.b64encode(b"k" * 48).decode()
            + "\n"
        ),
        6,
    ),
    "registry pull secret": (
        "gitops-repo/pull-secret.json",
        lambda: (
            '{"kind": "Secret", "type": "kubernetes.io/dockerconfigjson", "data": {".dockerconfigjson": "'
            + docker_config()
            + '"}}\n'
        ),
        1,
    ),
    "kubeadm join command": (
        "scripts/join.sh",
        lambda: "kubeadm join 10.0.0.11:6443 --token " + "abcdef" + ".0123456789abcdef\n",
        1,
    ),
    "password in a Helm values file": ("gitops-repo/grafana/values.yaml", lambda: "adminPassword: hunter2hunter2\n", 1),
}


@pytest.mark.parametrize("case", CASES)
def test_a_committed_credential_is_found_at_its_line(write_tree: Tree, case: str) -> None:
    path, content, line = CASES[case]
    root = write_tree({path: content(), "README.md": "# clean\n"})
    assert ("SECRET-IN-FILE", path, line) in scan(root)
    assert not any(found_path == "README.md" for _, found_path, _ in scan(root))


def test_a_plaintext_secret_manifest_is_found_and_a_sealed_one_passes(write_tree: Tree) -> None:
    plain = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  username: app\n"
    sealed = (
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: db\nspec:\n  encryptedData:\n"
        "    password: AgBy3i4OJSWK+PiTySYZZA" + "kVcw3Kq==\n"
    )
    root = write_tree({"gitops-repo/db/secret.yaml": plain, "gitops-repo/db/sealed-secret.yaml": sealed})
    assert scan(root) == {("SECRET-PLAINTEXT", "gitops-repo/db/secret.yaml", 1)}


def test_an_allowlisted_line_and_clean_files_pass(write_tree: Tree) -> None:
    root = write_tree(
        {
            "docs/example.md": f"Example only: {slack_webhook()}  <!-- pragma: allowlist secret -->\n",
            "tasks.py": 'SECRET_NAME = "alertmanager-slack"\npassword_file = "/etc/alertmanager/secrets/url"\n',
        }
    )
    assert scan(root) == set()


def test_in_a_git_work_tree_ignored_files_are_skipped_and_untracked_ones_scanned(write_tree: Tree) -> None:
    root = write_tree(
        {
            ".gitignore": "local/\n",
            "local/kubeconfig.yaml": f"token: {gitlab_token()}\n",
            "new-file.yaml": f"token: {gitlab_token()}\n",
        }
    )
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    assert [path.name for path in files_to_scan(root)] == [".gitignore", "new-file.yaml"]
    assert {path for _, path, _ in scan(root)} == {"new-file.yaml"}


def kubeconfig_with_key() -> str:
    return (
        "apiVersion: v1\nkind: Config\nusers:\n  - name: admin\n    user:\n"
        "      client-key-data: " + "LS0t" + "QUJD" * 10 + "\n"
    )


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({".env": "DB_HOST=db\nDB_PASSWORD=" + "s3cr" + "et-value\n"}, {("SECRET-IN-FILE", ".env", 2)}),
        ({"deploy/.env.production": "API_TOKEN=${FROM_VAULT}\nLOG_LEVEL=debug\n"}, set()),
        (
            {
                "ci/variables.yaml": "KUBECONFIG_B64: "
                + base64.b64encode(kubeconfig_with_key().encode()).decode()
                + "\n"
            },
            {("SECRET-IN-FILE", "ci/variables.yaml", 1)},
        ),
        (
            {
                "secret.json": json.dumps(
                    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "data": {"p": "eA=="}}
                )
            },
            {("SECRET-PLAINTEXT", "secret.json", 1)},
        ),
        ({"values.yaml": "auth:\n  existingSecret: grafana-admin\n  existingSecretPasswordKey: password\n"}, set()),
    ],
)
def test_secrets_however_written_and_names_that_only_point_at_one(
    write_tree: Tree, files: dict[str, str | bytes], expected: set[tuple[str, str, int]]
) -> None:
    assert scan(write_tree(files)) == expected


# One line each detect-secrets' detectors report (built in pieces, so this file holds none of them whole).
DETECTOR_LINES = [
    "aws_access_key_id = " + "AKIA" + "IOSFODNN7EXAMPLF",
    "token: " + "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "jwt: " + "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "stripe = '" + "sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dc'",
    "twilio: " + "AC" + "a" * 32,
    "telegram: " + "1234567890" + ":" + "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1",
    "sendgrid: " + "SG." + "x" * 22 + "." + "y" * 43,
    "//registry.npmjs.org/:_authToken=" + "npm_" + "a" * 36,
    "conn: DefaultEndpointsProtocol=https;" + "AccountKey=" + "A" * 86 + "==",
    "artifactory: " + "AKC" + "p8jRuhbh5fFM3xF",
    "mailchimp: " + "a" * 32 + "-us" + "12",
    "square: " + "sq0csp-" + "B" * 43,
    "url: https://admin:" + "s3cr3tPassw0rd" + "@db.example.com/",
    "password: " + "'correct-horse-battery-staple'",
    "db_pass = " + '"Tr0ub4dor&3xyz"',
    "slack: " + "xoxb-" + "1234-5678-abcdefghijkl",
    "-----" + "BEGIN RSA " + "PRIVATE KEY-----",
    "image: registry.example/web:1.2.3",
    "apiVersion: apps/v1",
]


@pytest.mark.parametrize("suffix", [".yaml", ".py"])
def test_lines_skipped_before_the_detectors_are_lines_they_would_pass(
    write_tree: Tree, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    """The prefilter (line_detectors._could_hit) changes nothing the detectors report, and does skip lines."""
    from gitops_toolkit.gate.rules import line_detectors

    root = write_tree({f"notes{suffix}": "\n".join(DETECTOR_LINES) + "\n"})
    filtered = line_detectors.detector_hits(root / f"notes{suffix}")
    assert len({line for line, _ in filtered}) >= 10
    assert not line_detectors._could_hit().search("apiVersion: apps/v1")
    line_detectors._CLEAN_LINES.clear()
    monkeypatch.setattr(line_detectors, "_could_hit", lambda: re.compile(""))
    assert line_detectors.detector_hits(root / f"notes{suffix}") == filtered
