"""The index the rules read: every rendered resource by kind, namespace and name, and every pod template
with its labels, so that selectors, references and policies can be resolved without a cluster."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from gitops_toolkit.core.gate_settings import GateConfig
from gitops_toolkit.core.object_paths import get_path, pod_spec
from gitops_toolkit.core.resource import CLUSTER_SCOPED, Resource
from gitops_toolkit.gate.rules.repository_facts import RepositoryFacts

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Container:
    body: Mapping[str, Any]
    path: Path
    is_init: bool

    @property
    def name(self) -> str:
        return str(self.body.get("name", ""))

    def ports(self) -> list[Mapping[str, Any]]:
        ports = self.body.get("ports")
        return [port for port in ports if isinstance(port, dict)] if isinstance(ports, list) else []

    def has_port(self, port: Any) -> bool:
        """A probe or Service port (a number or a port name) that this container declares."""
        if isinstance(port, str) and not port.isdigit():
            return any(declared.get("name") == port for declared in self.ports())
        return any(str(declared.get("containerPort")) == str(port) for declared in self.ports())

    def port_number(self, port: Any) -> int | None:
        for declared in self.ports():
            if str(declared.get("name")) == str(port) or str(declared.get("containerPort")) == str(port):
                number = declared.get("containerPort")
                return number if isinstance(number, int) else None
        return None


@dataclass(frozen=True)
class PodTemplate:
    """The pod a workload runs: its spec, labels, and where they sit in the workload's file."""

    resource: Resource
    spec: Mapping[str, Any]
    labels: Mapping[str, str]
    path: Path  # of the pod spec inside the workload

    @property
    def namespace(self) -> str:
        return namespace_of(self.resource)

    @property
    def name(self) -> str:
        return self.resource.ref.name

    def containers(self, include_init: bool = True) -> Iterator[Container]:
        # Pod Security admission visits ephemeral containers too; they count as "init" (not long-running) here.
        fields = ("initContainers", "containers", "ephemeralContainers") if include_init else ("containers",)
        for field in fields:
            items = self.spec.get(field)
            for index, body in enumerate(items if isinstance(items, list) else []):
                if isinstance(body, dict):
                    yield Container(body, (*self.path, field, index), field != "containers")

    @property
    def security_context(self) -> Mapping[str, Any]:
        context = self.spec.get("securityContext")
        return context if isinstance(context, dict) else {}

    @property
    def declared_replicas(self) -> int | None:
        replicas = self.resource.obj.get("spec", {}).get("replicas") if self.resource.kind != "Pod" else None
        return replicas if isinstance(replicas, int) else None


def namespace_of(resource: Resource) -> str:
    if resource.kind in CLUSTER_SCOPED:
        return ""
    return resource.ref.namespace or "default"


class PodLabels(dict[str, str]):
    """A pod's labels: those its template writes, and `varying`, those its controller adds, whose value is
    known only by its shape (the StatefulSet controller's `statefulset.kubernetes.io/pod-name: web-0`)."""

    def __init__(self, fixed: Mapping[str, str], varying: Mapping[str, re.Pattern[str]]) -> None:
        super().__init__(fixed)
        self.varying = {key: pattern for key, pattern in varying.items() if key not in fixed}


_ANY = re.compile(r"[0-9a-z-]{1,63}")
_ORDINAL = re.compile(r"[0-9]{1,9}")


def controller_labels(resource: Resource) -> dict[str, re.Pattern[str]]:
    """What the workload's controller adds to every pod it creates (kube-controller-manager's Deployment,
    StatefulSet, DaemonSet, Job and CronJob controllers; Argo Rollouts)."""
    name = re.escape(resource.ref.name)
    if resource.kind == "Deployment":
        return {"pod-template-hash": _ANY}
    if resource.kind == "StatefulSet":
        return {
            "statefulset.kubernetes.io/pod-name": re.compile(rf"{name}-[0-9]{{1,9}}"),
            "apps.kubernetes.io/pod-index": _ORDINAL,
            "controller-revision-hash": _ANY,
        }
    if resource.kind == "DaemonSet":
        return {"controller-revision-hash": _ANY, "pod-template-generation": _ORDINAL}
    if resource.kind in ("Job", "CronJob"):  # a CronJob's Jobs are named <cronjob>-<scheduled time>
        job = re.compile(name if resource.kind == "Job" else rf"{name}-[0-9]{{1,12}}")
        return {
            "job-name": job,
            "batch.kubernetes.io/job-name": job,
            "controller-uid": _ANY,
            "batch.kubernetes.io/controller-uid": _ANY,
            "batch.kubernetes.io/job-completion-index": _ORDINAL,
        }
    if resource.kind == "Rollout":
        return {"rollouts-pod-template-hash": _ANY}
    return {}


def _pod_template(resource: Resource) -> PodTemplate | None:
    if resource.kind == "Rollout" and not resource.api_version.startswith("argoproj.io/"):
        return None
    found = pod_spec(resource.obj)
    if found is None:
        return None
    spec, path = found
    labels = get_path(resource.obj, (*path[:-1], "metadata", "labels"))
    pod_labels = PodLabels(labels if isinstance(labels, dict) else {}, controller_labels(resource))
    return PodTemplate(resource, spec, pod_labels, path)


def selector_matches(selector: Any, labels: Mapping[str, str], *, empty_matches_all: bool = True) -> bool:
    """A LabelSelector (matchLabels/matchExpressions) or a plain Service selector map against labels."""
    if not isinstance(selector, dict):
        return False
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        selector = {"matchLabels": selector}
    match_labels = selector.get("matchLabels") or {}
    expressions = selector.get("matchExpressions") or []
    if not match_labels and not expressions:
        return empty_matches_all
    varying: Mapping[str, re.Pattern[str]] = getattr(labels, "varying", {})

    def may_be(key: str, value: str) -> bool:
        """Whether some pod has `value` for `key` (any value the controller may give it)."""
        return labels.get(key) == value or (key in varying and bool(varying[key].fullmatch(value)))

    if not all(may_be(str(key), str(value)) for key, value in match_labels.items()):
        return False
    for expression in expressions:
        key, operator = str(expression.get("key")), expression.get("operator")
        values = [str(value) for value in expression.get("values") or []]
        present = key in labels or key in varying
        if operator == "In" and not any(may_be(key, value) for value in values):
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


class ResourceIndex:
    """Every rendered resource of every entry point, with the site settings of the gate.

    Rules iterate over `resources`, `of_kind` and `pods`: the resources that passed their schema (a rule
    on a malformed object only adds noise to its schema error). Look-ups (`get`, `pods_selected`) see every
    resource, so that a schema error in one object does not make another's reference dangle."""

    def __init__(
        self,
        resources: Iterable[Resource],
        config: GateConfig | None = None,
        broken: Iterable[Resource] = (),
        repository: RepositoryFacts | None = None,
    ) -> None:
        self.config = config or GateConfig()
        self.repository = repository or RepositoryFacts(url=self.config.repository_url)
        self._all = list(resources)
        broken_origins = {resource.origin for resource in broken}
        self.resources = [resource for resource in self._all if resource.origin not in broken_origins]
        self._by_key: dict[tuple[str, str, str], list[Resource]] = {}
        self._by_identity: dict[tuple[str, str, str, str], list[Resource]] = {}
        for resource in self._all:
            self._by_key.setdefault((resource.kind, namespace_of(resource), resource.ref.name), []).append(resource)
            identity = (resource.api_group, resource.kind, namespace_of(resource), resource.ref.name)
            self._by_identity.setdefault(identity, []).append(resource)

    def get(self, kind: str, namespace: str, name: str) -> Resource | None:
        found = self._by_key.get((kind, "" if kind in CLUSTER_SCOPED else namespace, name))
        return found[0] if found else None

    def duplicates(self) -> Iterator[list[Resource]]:
        """Resources with the same identity (API group, kind, namespace, name): one cluster object."""
        return (found for found in self._by_identity.values() if len(found) > 1)

    def identities(self) -> Iterator[tuple[tuple[str, str, str, str], list[Resource]]]:
        """Each cluster object (API group, kind, namespace, name) with its checked copies."""
        checked = {id(resource) for resource in self.resources}
        for identity, found in self._by_identity.items():
            copies = [resource for resource in found if id(resource) in checked]
            if copies:
                yield identity, copies

    def of_kind(self, *kinds: str) -> list[Resource]:
        return [resource for resource in self.resources if resource.kind in kinds]

    def all_of_kind(self, *kinds: str) -> list[Resource]:
        """Resources of these kinds, checked or not: for look-ups."""
        return [resource for resource in self._all if resource.kind in kinds]

    @cached_property
    def _all_pods(self) -> list[PodTemplate]:
        return [pod for pod in map(_pod_template, self._all) if pod is not None]

    @cached_property
    def pods(self) -> list[PodTemplate]:
        checked = {id(resource) for resource in self.resources}
        return [pod for pod in self._all_pods if id(pod.resource) in checked]

    @cached_property
    def _pods_by_namespace(self) -> dict[str, list[PodTemplate]]:
        by_namespace: dict[str, list[PodTemplate]] = {}
        for pod in self._all_pods:
            by_namespace.setdefault(pod.namespace, []).append(pod)
        return by_namespace

    def containers(self, include_init: bool = True) -> Iterator[tuple[PodTemplate, Container]]:
        """Every container of every checked pod template, with its pod."""
        for pod in self.pods:
            for container in pod.containers(include_init):
                yield pod, container

    def pods_in(self, namespace: str) -> list[PodTemplate]:
        return self._pods_by_namespace.get(namespace, [])

    def pods_selected(self, namespace: str, selector: Any, *, empty_matches_all: bool = True) -> list[PodTemplate]:
        return [
            pod
            for pod in self.pods_in(namespace)
            if selector_matches(selector, pod.labels, empty_matches_all=empty_matches_all)
        ]

    def namespace_labels(self, namespace: str) -> dict[str, str]:
        """Labels of a namespace as the API server sets them (its name) plus those rendered here."""
        labels = {"kubernetes.io/metadata.name": namespace}
        rendered = self.get("Namespace", "", namespace)
        if rendered is not None:
            labels.update({str(k): str(v) for k, v in (rendered.metadata.get("labels") or {}).items()})
        return labels

    def is_external(self, kind: str, namespace: str, name: str) -> bool:
        return f"{kind}/{namespace}/{name}" in self.config.external_references
