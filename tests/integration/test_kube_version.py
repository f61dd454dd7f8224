"""`invoke validate --kube-version X.Y`: the repository checked against the schemas of the Kubernetes release an
upgrade goes to. An API version that release no longer serves is SCHEMA-REMOVED-API at its file and line, naming
the release that removed it and its replacement; one it deprecates is SCHEMA-DEPRECATED-API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitops_toolkit.gate.schema.api_lifecycle import deprecated, removed
from tests.conftest import invoke_validate

pytestmark = pytest.mark.integration

AUTOSCALING = Path("gitops-repo/apps/online-boutique/components/autoscaling")
PDB_FILE = AUTOSCALING / "pod-disruption-budgets.yaml"
HPA_FILE = AUTOSCALING / "horizontal-pod-autoscalers.yaml"


def plant(root: Path, path: Path, old: str, new: str) -> int:
    """Replace the first `old` line; the line number it is on."""
    text = (root / path).read_text(encoding="utf-8")
    assert old in text
    (root / path).write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def findings(root: Path, *arguments: str) -> tuple[int, list[dict[str, object]]]:
    completed = invoke_validate(root, "--format", "json", *arguments)
    assert "Traceback" not in completed.stderr
    return completed.returncode, json.loads(completed.stdout or "[]")


def test_removed_apis_are_named_with_their_replacement_at_their_line(repository_copy: Path) -> None:
    pdb_line = plant(repository_copy, PDB_FILE, "apiVersion: policy/v1\n", "apiVersion: policy/v1beta1\n")
    hpa_line = plant(repository_copy, HPA_FILE, "apiVersion: autoscaling/v2\n", "apiVersion: autoscaling/v2beta2\n")
    code, found = findings(repository_copy, "--kube-version", "1.37")
    assert code == 1
    removed_apis = {(f["path"], f["line"], f["message"]) for f in found if f["rule"] == "SCHEMA-REMOVED-API"}
    by_file = {path: (line, message) for path, line, message in removed_apis}
    assert by_file[str(PDB_FILE)][0] == pdb_line
    assert "removed in Kubernetes 1.25" in by_file[str(PDB_FILE)][1] and "use policy/v1" in by_file[str(PDB_FILE)][1]
    assert by_file[str(HPA_FILE)][0] == hpa_line
    assert "removed in Kubernetes 1.26" in by_file[str(HPA_FILE)][1]
    assert "use autoscaling/v2" in by_file[str(HPA_FILE)][1]
    assert not [f for f in found if f["rule"] == "SCHEMA-UNKNOWN-API"]


def test_an_api_still_served_by_the_older_release_passes_there(repository_copy: Path) -> None:
    plant(repository_copy, HPA_FILE, "apiVersion: autoscaling/v2\n", "apiVersion: autoscaling/v2beta2\n")
    _, found = findings(repository_copy, "--kube-version", "1.25")
    # (1.25 refuses other fields of the repository, such as the PDBs' unhealthyPodEvictionPolicy, added in 1.26)
    assert [f for f in found if f["path"] == str(HPA_FILE) and str(f["rule"]).startswith("SCHEMA-")] == [], found


def test_the_repository_passes_at_the_pinned_release_and_a_wrong_release_is_refused(repository_copy: Path) -> None:
    code, found = findings(repository_copy, "--kube-version", "1.37")
    assert (code, [f for f in found if f["severity"] != "info"]) == (0, [])
    completed = invoke_validate(repository_copy, "--kube-version", "1.99")
    assert completed.returncode == 2 and completed.stderr.count("\n") == 1
    assert "--kube-version 1.99: no schemas for it; choose one of 1.25" in completed.stderr


def test_a_deprecated_api_is_a_warning_naming_what_to_use() -> None:
    change = deprecated("", "v1", "Endpoints", "1.37")
    assert change is not None and change.since == "1.33" and "EndpointSlice" in change.replacement
    assert deprecated("", "v1", "Endpoints", "1.32") is None
    assert deprecated("apps", "v1", "Deployment", "1.37") is None
    early = removed("extensions", "v1beta1", "Ingress", "1.37")
    assert early is not None and (early.since, early.replacement) == ("1.22", "networking.k8s.io/v1")
    assert removed("apps", "v1", "Deployment", "1.37") is None


def test_a_deprecated_api_in_the_repository_is_reported_as_a_warning(repository_copy: Path) -> None:
    dev = Path("gitops-repo/apps/online-boutique/overlays/dev")
    (repository_copy / dev / "endpoints.yaml").write_text(
        "apiVersion: v1\nkind: Endpoints\nmetadata:\n  name: legacy-backend\n"
        "subsets:\n  - addresses:\n      - ip: 192.0.2.10\n    ports:\n      - port: 8080\n",
        encoding="utf-8",
    )
    plant(repository_copy, dev / "kustomization.yaml", "  - ../../base\n", "  - ../../base\n  - endpoints.yaml\n")
    code, found = findings(repository_copy, "--kube-version", "1.37")
    [warning] = [f for f in found if f["rule"] == "SCHEMA-DEPRECATED-API"]
    assert (warning["path"], warning["severity"]) == (str(dev / "endpoints.yaml"), "warning")
    assert "deprecated since Kubernetes 1.33" in str(warning["message"]) and "EndpointSlice" in str(warning["message"])
    assert code == 0, found


def test_by_default_the_cluster_version_the_inventory_names_is_the_one_checked(repository_copy: Path) -> None:
    """The inventory's cluster.kubernetesVersion is where the cluster's version is pinned: the gate follows it."""
    plant(
        repository_copy,
        Path("platform/inventory.example.yaml"),
        'kubernetesVersion: "1.37.1"',
        'kubernetesVersion: "1.25.16"',
    )
    _, found = findings(repository_copy)
    # 1.25 has no unhealthyPodEvictionPolicy on PodDisruptionBudgets (added in 1.26): the PDBs are refused there
    assert any(f["rule"] == "SCHEMA-INVALID" and f["path"] == str(PDB_FILE) for f in found), found
    code, found = findings(repository_copy, "--kube-version", "1.37")
    assert (code, [f for f in found if f["severity"] != "info"]) == (0, [])
