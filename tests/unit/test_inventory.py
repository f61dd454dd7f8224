"""The bootstrap inventory: the example is accepted as written, and every defect the bootstrap must refuse is
reported with its file, line and field, all of them at once, before anything connects to a host."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gitops_toolkit.core.machines import CONTROL_PLANE
from gitops_toolkit.hosts.bootstrap import command as bootstrap_module
from gitops_toolkit.hosts.inventory import METALLB_POOL, SCHEMA_FILE, InventoryError, load_inventory
from tests.conftest import REPOSITORY

EXAMPLE = (REPOSITORY / "platform" / "inventory.example.yaml").read_text(encoding="utf-8")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An operator's home holding the example's SSH key."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text("key\n", encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    return home


def inventory_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "inventory.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A checkout where the operator has recorded the hosts' keys in platform/known_hosts, as README says."""
    root = tmp_path / "checkout"
    for needed in (SCHEMA_FILE, METALLB_POOL):
        (root / needed).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPOSITORY / needed, root / needed)
    (root / "platform" / "known_hosts").write_text("", encoding="utf-8")
    return root


def test_the_example_is_accepted_as_written_with_its_defaults(tmp_path: Path, home: Path, checkout: Path) -> None:
    inventory = load_inventory(inventory_file(tmp_path, EXAMPLE), checkout)
    assert [(h.name, h.address, h.roles) for h in inventory.hosts] == [
        ("cp1", "192.168.10.11", (CONTROL_PLANE,)),
        ("w1", "192.168.10.12", ("worker",)),
        ("w2", "192.168.10.13", ("worker",)),
        ("gitlab", "192.168.10.10", ("platform",)),
    ]
    assert inventory.platform_host == inventory.hosts[3] and inventory.cluster_hosts == inventory.hosts[:3]
    assert inventory.platform is not None and inventory.platform.registry == "registry.local:5050"
    assert inventory.registry == ("registry.local:5050", tmp_path / "platform-ca.crt")  # copied home beside it
    assert inventory.repository_url == "https://gitlab.local/platform/gitops-repo.git"
    assert [host.name for host in inventory.control_planes] == ["cp1"]
    assert inventory.hosts[0].ssh.port == 22 and inventory.hosts[0].ssh.identity_file == home / ".ssh" / "id_ed25519"
    assert inventory.hosts[0].ssh.known_hosts_file == checkout / "platform" / "known_hosts"
    assert inventory.lan_subnet == "192.168.10.0/24"  # the first control plane's /24
    assert inventory.metallb_range == "192.168.1.240-192.168.1.250"  # the repository's MetalLB pool
    assert inventory.cni == ("calico", "3.32.2")


HOSTS = "hosts:  # YOUR SITE\n"
DEFECTS: dict[str, tuple[str, str, str, str]] = {
    # name: (text to replace in the example, replacement, field reported, words in the message)
    "pod and service ranges overlap": (
        "serviceSubnet: 10.96.0.0/12",
        "serviceSubnet: 10.244.128.0/20",
        "cluster.podSubnet",
        "overlaps cluster.serviceSubnet",
    ),
    "pod range overlaps the LAN": (
        HOSTS,
        "lanSubnet: 10.244.7.0/24\n" + HOSTS,
        "cluster.podSubnet",
        "overlaps the LAN",
    ),
    "MetalLB's range overlaps the service range": (
        HOSTS,
        "metallbRange: 10.96.0.10-10.96.0.20\n" + HOSTS,
        "cluster.serviceSubnet",
        "overlaps MetalLB's range",
    ),
    "a host inside the pod range": ("address: 192.168.10.12", "address: 10.244.3.4", "hosts[1].address", "inside"),
    "a host inside the service range": ("address: 192.168.10.13", "address: 10.96.0.9", "hosts[2].address", "inside"),
    "two hosts with one name": ("{name: w2,", "{name: w1,", "hosts[2].name", "also the name of hosts[1]"),
    "two hosts with one address": (
        "address: 192.168.10.13",
        "address: 192.168.10.12",
        "hosts[2].address",
        "also the address of hosts[1]",
    ),
    "no control plane": ("roles: [control-plane]", "roles: [worker]", "hosts", "no host has the role control-plane"),
    "two control planes": (
        "roles: [worker], cpus: 4, memory: 8Gi}\n  - {name: w2",
        "roles: [control-plane], cpus: 4, memory: 8Gi}\n  - {name: w2",
        "hosts[1].roles",
        "a second control-plane",
    ),
    "an unknown role": ("roles: [control-plane]", "roles: [master]", "hosts[0].roles[0]", "`master` is not one of"),
    "a version that is not exact": (
        'kubernetesVersion: "1.37.1"',
        'kubernetesVersion: "1.37"',
        "cluster.kubernetesVersion",
        "exact release",
    ),
    "a missing SSH key": ("~/.ssh/id_ed25519", "~/.ssh/id_rsa_gone", "ssh.identityFile", "does not exist"),
    "a missing known_hosts file": (
        "knownHostsFile: platform/known_hosts",
        "knownHostsFile: platform/known_hosts_gone",
        "ssh.knownHostsFile",
        "platform/known_hosts_gone does not exist; create it with each host's key (compare the fingerprints",
    ),
    "a missing CA file": (
        HOSTS,
        "registry: {host: registry.local, caFile: platform/registry-ca.crt}\n" + HOSTS,
        "registry.caFile",
        "does not exist",
    ),
    "two platform hosts": (
        "{name: w2, address: 192.168.10.13, roles: [worker]",
        "{name: w2, address: 192.168.10.13, roles: [platform]",
        "hosts[3].roles",
        "a second platform host",
    ),
    "a platform host that is also a node": (
        "roles: [platform]",
        "roles: [platform, worker]",
        "hosts[3].roles",
        "a platform host is never also a worker",
    ),
    "platform settings without a platform host": (
        "roles: [platform]",
        "roles: [worker]",
        "platform",
        "no host has the role platform",
    ),
    "a platform domain that is not a name": ("domain: local", "domain: Local_Lab", "platform.domain", "expected form"),
    "an unknown setting": ("ssh:\n  user: root", "ssh:\n  usr: root", "ssh", "unknown setting `usr`"),
    "YAML that does not parse": ("podSubnet: 10.244.0.0/16", "podSubnet: [10.244.0.0/16", "(file)", ""),
}


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_each_defect_is_refused_naming_its_field_and_line(tmp_path: Path, home: Path, defect: str) -> None:
    old, new, field, words = DEFECTS[defect]
    assert old in EXAMPLE
    text = EXAMPLE.replace(old, new, 1)
    path = inventory_file(tmp_path, text)
    with pytest.raises(InventoryError) as refused:
        load_inventory(path, REPOSITORY)
    reported = [(problem.field, problem.message) for problem in refused.value.problems]
    assert any(reported_field.startswith(field) and words in message for reported_field, message in reported), reported
    [problem] = [p for p in refused.value.problems if p.field.startswith(field) and words in p.message]
    if field != "(file)":  # the line of the offending field, counted in the planted file
        key = field.split(".")[-1].split("[")[0]
        lines = [number for number, line in enumerate(text.splitlines(), 1) if key in line or "- {" in line]
        assert problem.line in lines, (problem, lines)
    assert str(path) in str(refused.value) and "Traceback" not in str(refused.value)


def test_every_problem_is_reported_at_once(tmp_path: Path, home: Path) -> None:
    text = EXAMPLE.replace('"1.37.1"', '"1.37"').replace("{name: w2,", "{name: w1,").replace("~/.ssh/id_ed25519", "~/x")
    with pytest.raises(InventoryError) as refused:
        load_inventory(inventory_file(tmp_path, text), REPOSITORY)
    fields = {problem.field for problem in refused.value.problems}
    assert {"cluster.kubernetesVersion", "hosts[2].name", "ssh.identityFile"} <= fields, fields
    assert len(str(refused.value).splitlines()) == len(refused.value.problems)


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_bootstrap_refuses_each_defect_before_connecting(
    tmp_path: Path, home: Path, defect: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`invoke bootstrap --plan` on the example with one defect: exit 2 naming the field, and no host dialled
    (the example's LAN addresses must never be reached from here)."""
    original, replacement, field, words = DEFECTS[defect]

    def refuse(*arguments: object, **keywords: object) -> None:
        raise AssertionError("the bootstrap connected to a host before refusing the inventory")

    monkeypatch.setattr(bootstrap_module, "probe", refuse)
    path = inventory_file(tmp_path, EXAMPLE.replace(original, replacement, 1))
    code = bootstrap_module.bootstrap_command(REPOSITORY, path, True, [], "text", str(tmp_path / "kubeconfig"))
    printed = capsys.readouterr()
    assert code == 2 and printed.out == ""
    assert f"{path}:" in printed.err and f": {field}: " in printed.err and words in printed.err, printed.err
    assert "Traceback" not in printed.err
