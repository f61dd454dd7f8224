"""The capacity rules on this repository through the real gate and `invoke validate`: the platform fits the
example inventory's machines; more development replicas, or smaller workers, leave pods Pending and are reported
at the development Application, naming the CPU it lacks; the markdown report carries the capacity table."""

from __future__ import annotations

import re
from pathlib import Path

from gitops_toolkit.gate.pipeline import GateOptions, run_gate
from tests.conftest import REPOSITORY, gate, invoke_validate
from tests.plants import replace

DEV_OVERLAY = "gitops-repo/apps/online-boutique/overlays/dev/kustomization.yaml"
DEV_APPLICATION = "gitops-repo/apps/online-boutique/applications/dev.yaml"
INVENTORY = "platform/inventory.example.yaml"


def capacity_findings(root: Path, inventory: Path | None = None) -> list[tuple[str, str, str]]:
    result = run_gate(GateOptions(root=root, inventory=inventory)) if inventory else gate(root)
    return [(f.rule, f.path, f.message) for f in result.findings if f.rule.startswith("CAPACITY-")]


def shortfall_in_cpu(message: str) -> bool:
    return re.search(r"short by \d+\.\d\d CPU", message) is not None


def test_the_repository_fits_the_example_inventory_at_min_and_max(repository_copy: Path) -> None:
    assert capacity_findings(repository_copy) == []


def test_development_replicas_past_the_workers_are_reported_at_the_development_application(
    repository_copy: Path,
) -> None:
    replace(
        DEV_OVERLAY,
        "patches:\n",
        "patches:\n  - target:\n      kind: Deployment\n    patch: |-\n"
        "      - op: add\n        path: /spec/replicas\n        value: 40\n",
    )(repository_copy)
    [(rule, path, message)] = capacity_findings(repository_copy)
    assert (rule, path) == ("CAPACITY-REQUESTS", DEV_APPLICATION)
    assert shortfall_in_cpu(message) and "stay Pending" in message, message


def test_workers_of_one_cpu_are_reported(repository_copy: Path) -> None:
    inventory = repository_copy / INVENTORY
    inventory.write_text(inventory.read_text(encoding="utf-8").replace("cpus: 4", "cpus: 1"), encoding="utf-8")
    found = {path: message for _, path, message in capacity_findings(repository_copy, inventory)}
    assert DEV_APPLICATION in found and shortfall_in_cpu(found[DEV_APPLICATION]), found
    assert "gitops-repo/apps/online-boutique/applications/prod.yaml" in found  # production syncs first: short too


def test_an_inventory_without_machine_sizes_is_reported(repository_copy: Path) -> None:
    inventory = repository_copy / INVENTORY
    inventory.write_text(inventory.read_text(encoding="utf-8").replace(", cpus: 4", ""), encoding="utf-8")
    [(rule, path, message)] = capacity_findings(repository_copy)
    assert (rule, path) == ("CAPACITY-INVENTORY", INVENTORY)
    assert message.startswith("hosts[1] (w1) needs `cpus:`")


def test_invoke_validate_takes_an_inventory_and_prints_the_capacity_table(repository_copy: Path) -> None:
    small = repository_copy / "small.yaml"
    text = (repository_copy / INVENTORY).read_text(encoding="utf-8")
    small.write_text(text.replace("cpus: 4, memory: 8Gi", "cpus: 2, memory: 4Gi"), encoding="utf-8")
    completed = invoke_validate(repository_copy, "--inventory", str(small), "--format", "markdown")
    assert completed.returncode == 1, completed.stderr
    assert "CAPACITY-REQUESTS" in completed.stdout and "### Capacity" in completed.stdout
    allocatable = next(line for line in completed.stdout.splitlines() if line.startswith("| **allocatable**"))
    assert "| 5.40 CPU |" in allocatable  # 2 + 2 + 2 CPUs less 0.2 CPU the kubelet keeps of each
    missing = invoke_validate(repository_copy, "--inventory", str(repository_copy / "absent.yaml"))
    assert (missing.returncode, missing.stderr.strip().splitlines()[-1]) == (
        2,
        f"validate: --inventory {repository_copy / 'absent.yaml'}: no such file; give the inventory of your hosts",
    )


def test_the_readme_sizing_is_the_example_inventorys() -> None:
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    stated = re.search(
        r"one control\s+plane of (\d+) CPUs and (\d+) GiB and two workers of (\d+) CPUs and (\d+) GiB", readme
    )
    assert stated, "README states no sizing"
    cp_cpus, cp_memory, worker_cpus, worker_memory = stated.groups()
    inventory = (REPOSITORY / INVENTORY).read_text(encoding="utf-8")
    assert f"roles: [control-plane], cpus: {cp_cpus}, memory: {cp_memory}Gi}}" in inventory
    assert inventory.count(f"roles: [worker], cpus: {worker_cpus}, memory: {worker_memory}Gi}}") == 2
