"""Network policy coverage: default deny per namespace, every pod selected, every call the env addresses
declare allowed at both ends, and DNS (Polaris missingNetworkPolicy, kube-linter non-isolated-pod,
checkov CKV2_K8S_6, NSA/CISA default deny). Policies are evaluated as the Kubernetes API defines them:
additive allow rules over pods a policy isolates."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.gate.rules.addresses import addresses, service_port
from gitops_toolkit.gate.rules.index import PodTemplate, ResourceIndex, namespace_of, selector_matches

_DIRECTIONS = {"Ingress": "ingress", "Egress": "egress"}
_PEERS = {"ingress": "from", "egress": "to"}


@dataclass(frozen=True)
class Peer:
    """One end of a connection: a pod template, or a well-known pod that is not rendered (cluster DNS)."""

    namespace: str
    labels: Mapping[str, str]
    port_names: Mapping[str, int] = field(default_factory=dict)
    name: str = ""


CLUSTER_DNS = Peer("kube-system", {"k8s-app": "kube-dns"}, {"dns": 53, "dns-tcp": 53}, "cluster DNS")


def peer_of(pod: PodTemplate) -> Peer:
    names = {
        str(port["name"]): int(port["containerPort"])
        for container in pod.containers(include_init=False)
        for port in container.ports()
        if "name" in port and isinstance(port.get("containerPort"), int)
    }
    return Peer(pod.namespace, pod.labels, names, f"{pod.resource.kind} {pod.name}")


@dataclass(frozen=True)
class Policy:
    resource: Resource
    namespace: str
    spec: Mapping[str, Any]

    @property
    def types(self) -> set[str]:
        declared = self.spec.get("policyTypes")
        if isinstance(declared, list):
            return {_DIRECTIONS[t] for t in declared if t in _DIRECTIONS}
        return {"ingress"} | ({"egress"} if "egress" in self.spec else set())

    def selects(self, peer: Peer) -> bool:
        return peer.namespace == self.namespace and selector_matches(self.spec.get("podSelector") or {}, peer.labels)

    def rules(self, direction: str) -> list[Mapping[str, Any]]:
        rules = self.spec.get(direction)
        return [rule for rule in rules if isinstance(rule, dict)] if isinstance(rules, list) else []

    def is_default_deny(self, direction: str) -> bool:
        return not (self.spec.get("podSelector") or {}) and direction in self.types and not self.rules(direction)


def _peer_matches(entry: Mapping[str, Any], policy: Policy, other: Peer, index: ResourceIndex) -> bool:
    if "ipBlock" in entry:
        cidr = str((entry.get("ipBlock") or {}).get("cidr", ""))
        try:
            return ipaddress.ip_network(cidr).prefixlen == 0  # only "anywhere" surely contains a pod IP
        except ValueError:
            return False
    namespace_selector = entry.get("namespaceSelector")
    if namespace_selector is None:
        namespace_ok = other.namespace == policy.namespace
    else:
        namespace_ok = selector_matches(namespace_selector, index.namespace_labels(other.namespace))
    pod_selector = entry.get("podSelector")
    return namespace_ok and (pod_selector is None or selector_matches(pod_selector, other.labels))


def _port_matches(rule: Mapping[str, Any], target: Peer, port: int, protocol: str) -> bool:
    ports = rule.get("ports")
    if not ports:
        return True
    for entry in ports:
        if str(entry.get("protocol", "TCP")) != protocol:
            continue
        declared = entry.get("port")
        if declared is None:
            return True
        number = target.port_names.get(declared) if isinstance(declared, str) else declared
        if number is not None and number <= port <= int(entry.get("endPort") or number):
            return True
    return False


def _allowed(
    policies: list[Policy],
    direction: str,
    selected: Peer,
    other: Peer,
    target: Peer,
    port: int,
    protocol: str,
    index: ResourceIndex,
) -> bool:
    """Whether `selected` may send (egress) to or receive (ingress) from `other` on `target`'s port."""
    isolating = [policy for policy in policies if policy.selects(selected) and direction in policy.types]
    if not isolating:
        return True
    for policy in isolating:
        for rule in policy.rules(direction):
            peers = rule.get(_PEERS[direction])
            if (not peers or any(_peer_matches(entry, policy, other, index) for entry in peers)) and _port_matches(
                rule, target, port, protocol
            ):
                return True
    return False


def _policies(index: ResourceIndex) -> dict[str, list[Policy]]:
    by_namespace: dict[str, list[Policy]] = {}
    for resource in index.of_kind("NetworkPolicy"):
        if resource.api_version == "networking.k8s.io/v1":
            policy = Policy(resource, namespace_of(resource), resource.obj.get("spec") or {})
            by_namespace.setdefault(policy.namespace, []).append(policy)
    return by_namespace


def _namespace_anchor(index: ResourceIndex, namespace: str, pods: list[PodTemplate]) -> Resource:
    """Where a namespace-wide finding goes: the Namespace if rendered, else its first workload."""
    return index.get("Namespace", "", namespace) or min((pod.resource for pod in pods), key=lambda r: (r.path, r.line))


def _pod_network(index: ResourceIndex) -> list[PodTemplate]:
    """Pods on the pod network: NetworkPolicies do not govern a pod on its host's network (Kubernetes leaves that
    to the network plugin, and Calico and Cilium leave such pods alone), and it resolves names through the host."""
    return [pod for pod in index.pods if pod.spec.get("hostNetwork") is not True]


def check_default_deny(index: ResourceIndex) -> Iterator[Finding]:
    policies = _policies(index)
    for namespace in sorted({pod.namespace for pod in _pod_network(index)}):
        missing = [
            d for d in ("ingress", "egress") if not any(p.is_default_deny(d) for p in policies.get(namespace, []))
        ]
        if missing:
            yield _namespace_anchor(index, namespace, index.pods_in(namespace)).finding(
                "NETPOL-NO-DEFAULT-DENY",
                f"namespace {namespace} runs pods but has no default-deny {' and '.join(missing)} policy; add a "
                "NetworkPolicy with podSelector: {} and policyTypes: [Ingress, Egress]",
            )


def check_pods_selected(index: ResourceIndex) -> Iterator[Finding]:
    policies = _policies(index)
    for pod in _pod_network(index):
        peer = peer_of(pod)
        if not any(policy.selects(peer) for policy in policies.get(pod.namespace, [])):
            yield pod.resource.finding(
                "NETPOL-POD-UNSELECTED",
                f"no NetworkPolicy in namespace {pod.namespace} selects this pod, so all traffic to and from it is "
                "allowed; add a policy for its labels",
                (*pod.path[:-1], "metadata", "labels"),
            )


def check_calls_allowed(index: ResourceIndex) -> Iterator[Finding]:
    policies = _policies(index)
    for address in addresses(index):
        service = index.get("Service", address.namespace, address.service)
        port = service_port(service, address.port) if service else None
        if service is None or port is None:
            continue  # XREF-ADDRESS reports it
        callees = index.pods_selected(
            address.namespace, (service.obj.get("spec") or {}).get("selector"), empty_matches_all=False
        )
        caller = peer_of(address.caller)
        protocol = str(port.get("protocol", "TCP"))
        for callee_pod in callees:
            callee = peer_of(callee_pod)
            target_port = port.get("targetPort", port.get("port"))
            number = callee.port_names.get(target_port) if isinstance(target_port, str) else target_port
            if not isinstance(number, int):
                continue  # XREF-SERVICE-PORT reports it
            cut = []
            if not _allowed(
                policies.get(caller.namespace, []), "egress", caller, callee, callee, number, protocol, index
            ):
                cut.append(f"egress from {address.caller.name}")
            if not _allowed(
                policies.get(callee.namespace, []), "ingress", callee, caller, callee, number, protocol, index
            ):
                cut.append(f"ingress to {callee_pod.name}")
            if cut:
                yield address.caller.resource.finding(
                    "NETPOL-CALL-BLOCKED",
                    f"{address.caller.name} calls {address.service}.{address.namespace} ({address.env.name}="
                    f"{address.text}, pod port {protocol} {number}) but no NetworkPolicy allows "
                    f"{' or '.join(cut)}; add the rule",
                    (*address.env.path, "value"),
                )


def check_dns_allowed(index: ResourceIndex) -> Iterator[Finding]:
    policies = _policies(index)
    for pod in _pod_network(index):
        peer = peer_of(pod)
        if not _allowed(policies.get(pod.namespace, []), "egress", peer, CLUSTER_DNS, CLUSTER_DNS, 53, "UDP", index):
            yield pod.resource.finding(
                "NETPOL-DNS-BLOCKED",
                "egress to cluster DNS (kube-system k8s-app=kube-dns, UDP 53) is not allowed, so no Service name "
                "resolves; allow it",
                pod.path,
            )
