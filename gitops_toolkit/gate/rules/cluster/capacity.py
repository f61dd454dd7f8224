"""Whether the pods every Application deploys fit the machines the inventory names, placed as kube-scheduler
places them: by their requests against each node's allocatable (capacity less the kubelet's reservations), never
on a control plane kubeadm tainted NoSchedule unless they tolerate it, DaemonSets once per node they may run on,
kubeadm's own pods first, then the Applications in the order Argo CD syncs them (wave, then name)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.machines import ClusterShape, Machine
from gitops_toolkit.gate.rules.cluster.capacity_demand import PodDemand, pod_demands
from gitops_toolkit.gate.rules.index import ResourceIndex

_MI = 2**20
# kubeadm's own pods and their requests (its static pod manifests and CoreDNS's Deployment of 2 replicas).
_CONTROL_PLANE_PODS = (("kube-apiserver", 250, 0), ("kube-controller-manager", 200, 0), ("kube-scheduler", 100, 0))
_ETCD = ("etcd", 100, 100 * _MI)
_COREDNS = PodDemand("kube-system", "Deployment kube-system/coredns", 100, 70 * _MI, 2, 2, False, True, (-999, "", 0))
KUBE_SYSTEM = "kube-system (kubeadm)"


def cpu_text(millicores: int) -> str:
    return f"{millicores / 1000:.2f} CPU"


def memory_text(size: int) -> str:
    return f"{size / 2**30:.1f} GiB" if abs(size) >= 2**30 else f"{size // _MI} MiB"


@dataclass
class _Node:
    machine: Machine
    cpu: int  # free millicores
    memory: int  # free bytes
    allocatable: tuple[int, int]

    def fits(self, demand: PodDemand) -> bool:
        return self.cpu >= demand.cpu and self.memory >= demand.memory

    def take(self, demand: PodDemand) -> None:
        self.cpu -= demand.cpu
        self.memory -= demand.memory

    def room(self) -> float:
        """LeastAllocated, kube-scheduler's default score: the share of CPU and memory left."""
        return (self.cpu / max(self.allocatable[0], 1) + self.memory / max(self.allocatable[1], 1)) / 2


@dataclass
class ApplicationLoad:
    cpu: int = 0
    memory: int = 0
    pods: int = 0
    unplaced: list[PodDemand] = field(default_factory=list)
    eligible: set[str] = field(default_factory=set)  # names of the nodes its pods may run on


@dataclass
class Placement:
    nodes: list[_Node]
    loads: dict[str, ApplicationLoad]  # by Application, in sync order (kube-system first)

    @property
    def allocatable(self) -> tuple[int, int]:
        return sum(node.allocatable[0] for node in self.nodes), sum(node.allocatable[1] for node in self.nodes)


def _eligible(nodes: list[_Node], demand: PodDemand) -> list[_Node]:
    return [n for n in nodes if n.machine.takes_any_pod or (demand.tolerates_control_plane and n.machine.control_plane)]


def place(shape: ClusterShape, demands: Iterable[PodDemand], at_max: bool) -> Placement:
    nodes = []
    for machine in shape.machines:
        cpu, memory = machine.cpus * 1000 - shape.reserved_cpu, machine.memory_bytes - shape.reserved_memory
        nodes.append(_Node(machine, cpu, memory, (cpu, memory)))
    loads: dict[str, ApplicationLoad] = {KUBE_SYSTEM: ApplicationLoad()}
    for node in nodes:
        for name, cpu, memory in (*_CONTROL_PLANE_PODS, _ETCD) if node.machine.control_plane else ():
            static = PodDemand(KUBE_SYSTEM, f"Pod kube-system/{name}", cpu, memory, 1, 1, False, True, (-999, "", 0))
            _put(static, [node], loads[KUBE_SYSTEM])
    ordered = sorted(demands, key=lambda demand: (not demand.per_node, demand.order))  # DaemonSets first
    for demand in (_COREDNS, *ordered):
        load = loads.setdefault(KUBE_SYSTEM if demand is _COREDNS else demand.application, ApplicationLoad())
        eligible = _eligible(nodes, demand)
        load.eligible.update(node.machine.name for node in eligible)
        if demand.per_node:
            for node in eligible:
                _put(demand, [node], load)
        else:
            for _ in range(demand.at_max if at_max else demand.at_min):
                _put(demand, eligible, load)
    return Placement(nodes, loads)


def _put(demand: PodDemand, candidates: list[_Node], load: ApplicationLoad) -> None:
    load.cpu, load.memory, load.pods = load.cpu + demand.cpu, load.memory + demand.memory, load.pods + 1
    fitting = [node for node in candidates if node.fits(demand)]
    if fitting:
        max(fitting, key=_Node.room).take(demand)
    else:
        load.unplaced.append(demand)


def _largest(demands: list[PodDemand], at_max: bool) -> str:
    totals: dict[str, tuple[int, PodDemand]] = {}
    for demand in demands:
        count = demand.at_max if at_max else demand.at_min
        totals[demand.workload] = (count, demand)
    top = sorted(totals.values(), key=lambda item: -item[0] * item[1].cpu)[:3]
    return ", ".join(f"{d.workload} {n if not d.per_node else 'per node'} x {d.cpu}m" for n, d in top)


def _shortfall(placement: Placement, load: ApplicationLoad) -> str:
    nodes = [node for node in placement.nodes if node.machine.name in load.eligible]
    free_cpu, free_memory = sum(max(n.cpu, 0) for n in nodes), sum(max(n.memory, 0) for n in nodes)
    want_cpu, want_memory = sum(d.cpu for d in load.unplaced), sum(d.memory for d in load.unplaced)
    short = [
        text(want - free)
        for want, free, text in ((want_cpu, free_cpu, cpu_text), (want_memory, free_memory, memory_text))
        if want > free
    ]
    left = f"{', '.join(sorted(load.eligible))} have {cpu_text(free_cpu)} and {memory_text(free_memory)} left"
    return f"{left}: short by {' and '.join(short)}" if short else f"{left}, but no single node has room for them"


def _message(
    placement: Placement, load: ApplicationLoad, demands: list[PodDemand], inventory: str, at_max: bool
) -> str:
    level = "at the autoscalers' maximum" if at_max else "at the autoscalers' minimum"
    unplaced = load.unplaced
    return (
        f"{level} its pods request {cpu_text(load.cpu)} and {memory_text(load.memory)}; {len(unplaced)} of its "
        f"{load.pods} pods ({cpu_text(sum(d.cpu for d in unplaced))}, {memory_text(sum(d.memory for d in unplaced))}) "
        f"find no node with room and stay Pending: after kubeadm's pods and the Applications synced before it, "
        f"{_shortfall(placement, load)}. Largest requesters: {_largest(demands, at_max)}. Add CPUs, memory or "
        f"machines in {inventory}, or lower these requests or replicas"
    )


def check_capacity(index: ResourceIndex) -> Iterator[Finding]:
    shape = index.repository.cluster
    if shape is not None and shape.problem is not None:
        line, problem = shape.problem
        yield Finding(shape.inventory, line, "CAPACITY-INVENTORY", f"{problem}: the capacity rules cannot run")
    if shape is None or not shape.machines:
        return
    demands = list(pod_demands(index))
    applications = {application.ref.name: application for application in index.of_kind("Application")}
    reported: set[str] = set()
    for at_max, rule in ((False, "CAPACITY-REQUESTS"), (True, "CAPACITY-AT-MAX")):
        placement = place(shape, demands, at_max)
        for name, load in placement.loads.items():
            if not load.unplaced or name in reported:
                continue
            reported.add(name)
            own = [demand for demand in demands if demand.application == name]
            message = _message(placement, load, own, shape.inventory, at_max)
            application = applications.get(name)
            if application is not None:
                yield application.finding(rule, message)
            else:  # kubeadm's own pods do not fit: the machines are too small for any cluster
                yield Finding(shape.inventory, shape.machines[0].line, rule, f"{name}: {message}")


@dataclass(frozen=True)
class CapacityRow:
    name: str  # an Application, kubeadm's own pods, or "allocatable"
    pods: int
    cpu_at_min: int
    memory_at_min: int
    cpu_at_max: int
    memory_at_max: int
    pending: int  # pods at the minimum that find no node


def capacity_table(index: ResourceIndex) -> list[CapacityRow]:
    """What each Application requests at its autoscalers' minimum and maximum, in sync order, then what the nodes
    can allocate: the table of the markdown report and the diff note. Empty without an inventory."""
    shape = index.repository.cluster
    if shape is None or not shape.machines:
        return []
    demands = list(pod_demands(index))
    low, high = place(shape, demands, False), place(shape, demands, True)
    rows = [
        CapacityRow(
            name, load.pods, load.cpu, load.memory, high.loads[name].cpu, high.loads[name].memory, len(load.unplaced)
        )
        for name, load in low.loads.items()
    ]
    cpu, memory = low.allocatable
    return [*rows, CapacityRow("allocatable", 0, cpu, memory, cpu, memory, 0)]
