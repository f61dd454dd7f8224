"""The machines an inventory declares (name, roles, CPUs, memory), read the same way by the bootstrap, which
checks the whole inventory, and by the gate, which only needs to know what the cluster can hold."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from gitops_toolkit.core.bounded_yaml import YamlDocument, YamlRejected, load_yaml_file
from gitops_toolkit.core.object_paths import mapping
from gitops_toolkit.core.quantities import quantity

CONTROL_PLANE = "control-plane"
WORKER = "worker"
# The host beside the cluster that runs GitLab, its registry and a runner: never a node.
PLATFORM = "platform"
# The inventory's `platform:` settings that name its registry, when it leaves them out.
DEFAULT_DOMAIN, DEFAULT_REGISTRY_PORT = "local", 5050


@dataclass(frozen=True)
class Machine:
    name: str
    roles: tuple[str, ...]
    cpus: int
    memory_bytes: int
    line: int  # of its entry in the inventory

    @property
    def control_plane(self) -> bool:
        return CONTROL_PLANE in self.roles

    @property
    def takes_any_pod(self) -> bool:
        """A worker, or a control plane that is also one (the bootstrap then leaves off kubeadm's NoSchedule taint)."""
        return WORKER in self.roles


def memory_bytes(value: object) -> int | None:
    """A memory size written as a Kubernetes quantity ("8Gi", "7800Mi"), or None when it is not one."""
    amount = quantity(value) if isinstance(value, str) else None
    return int(amount) if amount is not None and amount >= Decimal(2**20) else None


class InventoryUnreadable(Exception):
    """The inventory cannot tell what its machines hold: `line` and `message` say where and why."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def machines_of(document: YamlDocument) -> list[Machine]:
    """The hosts of an inventory document, each with its CPUs and memory; InventoryUnreadable for the first
    host that lacks them (the bootstrap's schema says the same, with every other problem)."""
    hosts = document.data.get("hosts") if isinstance(document.data, dict) else None
    if not isinstance(hosts, list) or not hosts:
        raise InventoryUnreadable(document.line, "no `hosts:` list")
    machines = []
    for position, host in enumerate(hosts):
        line = document.line_of(("hosts", position))
        host = mapping(host)
        name, roles, cpus = str(host.get("name", "")), host.get("roles"), host.get("cpus")
        memory = memory_bytes(host.get("memory"))
        if not isinstance(cpus, int) or isinstance(cpus, bool) or cpus < 1 or memory is None:
            raise InventoryUnreadable(
                line,
                f"hosts[{position}] ({name or 'unnamed'}) needs `cpus:` (a whole number) and `memory:` (a size "
                'such as "8Gi"), as the machine has them',
            )
        if PLATFORM not in (roles or []):
            machines.append(Machine(name, tuple(map(str, roles or [])), cpus, memory, line))
    return machines


def platform_registry_of(document: YamlDocument) -> str:
    """`registry.<domain>:<port>` of the inventory's platform host (GitLab's registry), or "" without one."""
    data = document.data if isinstance(document.data, dict) else {}
    hosts = data.get("hosts")
    if not isinstance(hosts, list) or not any(PLATFORM in (mapping(host).get("roles") or []) for host in hosts):
        return ""
    settings = mapping(data.get("platform"))
    return f"registry.{settings.get('domain', DEFAULT_DOMAIN)}:{settings.get('registryPort', DEFAULT_REGISTRY_PORT)}"


def cluster_minor(path: Path) -> str:
    """ "X.Y" of the inventory's cluster.kubernetesVersion (the version the cluster runs), "" when it cannot say."""
    try:
        documents = load_yaml_file(path)
    except (YamlRejected, OSError):
        return ""
    data = documents[0].data if len(documents) == 1 and isinstance(documents[0].data, dict) else {}
    version = str(mapping(data.get("cluster")).get("kubernetesVersion", ""))
    parts = version.removeprefix("v").split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 and all(part.isdigit() for part in parts[:2]) else ""


def read_inventory(path: Path) -> tuple[list[Machine], str]:
    """The machines of an inventory file and its platform registry (platform_registry_of)."""
    try:
        documents = load_yaml_file(path)
    except YamlRejected as rejected:
        raise InventoryUnreadable(rejected.line or 1, rejected.message) from None
    except OSError as error:
        raise InventoryUnreadable(1, f"cannot read it ({error.strerror})") from None
    if len(documents) != 1:
        raise InventoryUnreadable(1, "expected exactly one YAML document")
    return machines_of(documents[0]), platform_registry_of(documents[0])


@dataclass(frozen=True)
class ClusterShape:
    """The machines a cluster is built from and what the kubelet keeps of each for itself."""

    machines: tuple[Machine, ...]
    reserved_cpu: int = 0  # millicores: kubeReserved + systemReserved
    reserved_memory: int = 100 * 2**20  # bytes: kubeReserved + systemReserved + the hard eviction threshold
    inventory: str = ""  # where the machines are declared (repository-relative), for messages
    problem: tuple[int, str] | None = None  # (line, what) when the inventory cannot say what its machines hold
    platform_registry: str = ""  # the platform host's registry (GitLab's: no anonymous pulls), "" without one
