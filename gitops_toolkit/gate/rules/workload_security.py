"""Workload security: Pod Security "restricted" and the checks the trusted linters agree on
(kube-linter, Polaris, checkov, kubescape; see docs/rules.md). One function per rule; each walks
every pod template and reports on the workload that declares it, at the offending field."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.object_paths import dict_items
from gitops_toolkit.gate.rules.index import Container, PodTemplate, ResourceIndex

_ALLOWED_CAPABILITIES = {"NET_BIND_SERVICE"}
_CONFINED_SECCOMP = {"RuntimeDefault", "Localhost"}
_RUNTIME_SOCKETS = ("docker.sock", "containerd.sock", "crio.sock", "cri-dockerd.sock")
_BATCH_KINDS = {"Job", "CronJob"}
PROBES = ("readinessProbe", "livenessProbe", "startupProbe")


def _context(container: Container) -> dict[str, Any]:
    context = container.body.get("securityContext")
    return context if isinstance(context, dict) else {}


_CONTAINER_FIELDS = {"initContainers": "init container", "ephemeralContainers": "ephemeral container"}


def _where(container: Container) -> str:
    return f"{_CONTAINER_FIELDS.get(str(container.path[-2]), 'container')} `{container.name}`"


def check_run_as_non_root(index: ResourceIndex) -> Iterator[Finding]:
    for pod in index.pods:
        containers = list(pod.containers())
        pod_context = pod.security_context
        overriding = [c for c in containers if _context(c).get("runAsNonRoot", True) is not True]
        for container in overriding if pod_context.get("runAsNonRoot") is True else ():
            yield pod.resource.finding(
                "SEC-RUN-AS-ROOT",
                f"{_where(container)} sets runAsNonRoot: {json.dumps(_context(container).get('runAsNonRoot'))}, "
                "overriding the pod's true; remove it",
                (*container.path, "securityContext", "runAsNonRoot"),
            )
        if pod_context.get("runAsNonRoot") is not True and not all(
            _context(container).get("runAsNonRoot") is True for container in containers
        ):
            yield pod.resource.finding(
                "SEC-RUN-AS-ROOT",
                "set securityContext.runAsNonRoot: true on the pod (or on every container)",
                (*pod.path, "securityContext", "runAsNonRoot"),
            )
        if pod_context.get("runAsUser") == 0:
            yield pod.resource.finding(
                "SEC-RUN-AS-ROOT",
                "pod runs as user 0; set runAsUser to a non-zero UID",
                (*pod.path, "securityContext", "runAsUser"),
            )
        for container in containers:
            user = _context(container).get("runAsUser", pod_context.get("runAsUser"))
            if user is None:
                yield pod.resource.finding(
                    "SEC-RUN-AS-ROOT",
                    f"{_where(container)} has no runAsUser, so a non-root image user cannot be verified; "
                    "set a non-zero runAsUser on the pod or the container",
                    container.path,
                )
            elif user == 0 and _context(container).get("runAsUser") == 0:
                yield pod.resource.finding(
                    "SEC-RUN-AS-ROOT",
                    f"{_where(container)} runs as user 0; set a non-zero runAsUser",
                    (*container.path, "securityContext", "runAsUser"),
                )


def check_privilege_escalation(index: ResourceIndex) -> Iterator[Finding]:
    for pod, container in index.containers():
        value = _context(container).get("allowPrivilegeEscalation")
        if value is not False:
            state = "unset (Pod Security restricted rejects that)" if value is None else "not false"
            yield pod.resource.finding(
                "SEC-PRIVILEGE-ESCALATION",
                f"{_where(container)}: securityContext.allowPrivilegeEscalation is {state}; set it to false",
                (*container.path, "securityContext", "allowPrivilegeEscalation"),
            )


def check_privileged(index: ResourceIndex) -> Iterator[Finding]:
    for pod, container in index.containers():
        if _context(container).get("privileged") is True:
            yield pod.resource.finding(
                "SEC-PRIVILEGED",
                f"{_where(container)} is privileged; remove privileged: true",
                (*container.path, "securityContext", "privileged"),
            )


def check_capabilities(index: ResourceIndex) -> Iterator[Finding]:
    for pod, container in index.containers():
        capabilities = _context(container).get("capabilities")
        capabilities = capabilities if isinstance(capabilities, dict) else {}
        if "ALL" not in (capabilities.get("drop") or []):
            yield pod.resource.finding(
                "SEC-CAPABILITIES",
                f"{_where(container)}: drop all capabilities (capabilities.drop: [ALL])",
                (*container.path, "securityContext", "capabilities", "drop"),
            )
        added = sorted(set(capabilities.get("add") or []) - _ALLOWED_CAPABILITIES)
        if added:
            yield pod.resource.finding(
                "SEC-CAPABILITIES",
                f"{_where(container)} adds {', '.join(map(str, added))}; only NET_BIND_SERVICE may be added",
                (*container.path, "securityContext", "capabilities", "add"),
            )


def _seccomp(context: dict[str, Any]) -> str | None:
    profile = context.get("seccompProfile")
    return str(profile.get("type")) if isinstance(profile, dict) else None


def check_seccomp(index: ResourceIndex) -> Iterator[Finding]:
    for pod in index.pods:
        pod_profile = _seccomp(dict(pod.security_context))
        for container in pod.containers():
            own_profile = _seccomp(_context(container))
            profile = own_profile or pod_profile
            if profile not in _CONFINED_SECCOMP:
                state = "Unconfined" if profile == "Unconfined" else "not set"
                where = container.path if own_profile else pod.path  # the field that decides
                yield pod.resource.finding(
                    "SEC-SECCOMP",
                    f"{_where(container)}: seccomp profile is {state}; set securityContext.seccompProfile.type: "
                    "RuntimeDefault on the pod (and remove the container's own profile)",
                    (*where, "securityContext", "seccompProfile", "type"),
                )


def check_host_namespaces(index: ResourceIndex) -> Iterator[Finding]:
    for pod in index.pods:
        for field in ("hostNetwork", "hostPID", "hostIPC"):
            if pod.spec.get(field) is True:
                yield pod.resource.finding(
                    "SEC-HOST-NAMESPACE",
                    f"pod shares the node's namespace through {field}: true; remove it",
                    (*pod.path, field),
                )


def check_host_path(index: ResourceIndex) -> Iterator[Finding]:
    for pod in index.pods:
        volumes = pod.spec.get("volumes")
        for position, volume in enumerate(volumes if isinstance(volumes, list) else []):
            host_path = volume.get("hostPath") if isinstance(volume, dict) else None
            if not isinstance(host_path, dict):
                continue
            path = str(host_path.get("path", ""))
            what = "the container runtime socket" if path.endswith(_RUNTIME_SOCKETS) else "a node directory"
            yield pod.resource.finding(
                "SEC-HOST-PATH",
                f"volume `{volume.get('name')}` mounts {what} ({path}) from the node; use an emptyDir, "
                "a ConfigMap or a PersistentVolumeClaim",
                (*pod.path, "volumes", position),
            )


def check_host_port(index: ResourceIndex) -> Iterator[Finding]:
    for pod, container in index.containers():
        for position, port in enumerate(container.ports()):
            if port.get("hostPort"):
                yield pod.resource.finding(
                    "SEC-HOST-PORT",
                    f"{_where(container)} binds host port {port['hostPort']}; remove hostPort and publish "
                    "through a Service",
                    (*container.path, "ports", position, "hostPort"),
                )


def check_read_only_root_filesystem(index: ResourceIndex) -> Iterator[Finding]:
    for pod, container in index.containers():
        if _context(container).get("readOnlyRootFilesystem") is not True:
            yield pod.resource.finding(
                "SEC-WRITABLE-ROOT-FS",
                f"{_where(container)}: set securityContext.readOnlyRootFilesystem: true and mount an "
                "emptyDir where the process must write",
                (*container.path, "securityContext", "readOnlyRootFilesystem"),
            )


def check_resources(index: ResourceIndex) -> Iterator[Finding]:
    for pod, container in index.containers():
        resources = container.body.get("resources")
        resources = resources if isinstance(resources, dict) else {}
        requests = resources.get("requests") or {}
        limits = resources.get("limits") or {}
        missing = [f"requests.{name}" for name in ("cpu", "memory") if name not in requests]
        missing += ["limits.memory"] if "memory" not in limits else []
        if missing:
            yield pod.resource.finding(
                "RES-MISSING",
                f"{_where(container)} has no {', '.join(missing)}; set them",
                (*container.path, "resources"),
            )


def check_probes_present(index: ResourceIndex) -> Iterator[Finding]:
    for pod in index.pods:
        if pod.resource.kind in _BATCH_KINDS:
            continue
        for container in pod.containers(include_init=False):
            missing = [probe for probe in PROBES[:2] if probe not in container.body]
            if missing:
                yield pod.resource.finding(
                    "PROBE-MISSING",
                    f"{_where(container)} has no {' and no '.join(missing)}; add them",
                    container.path,
                )


def _probe_port(probe: dict[str, Any]) -> Any:
    for handler in ("httpGet", "tcpSocket", "grpc"):
        if isinstance(probe.get(handler), dict):
            return probe[handler].get("port")
    return None


def check_probe_ports(index: ResourceIndex) -> Iterator[Finding]:
    for pod, container in index.containers(include_init=False):
        if pod.spec.get("hostNetwork") is True:
            continue  # it listens on the node's ports, which it need not declare
        for name in PROBES:
            probe = container.body.get(name)
            port = _probe_port(probe) if isinstance(probe, dict) else None
            named = isinstance(port, str) and not port.isdigit()
            if port is None or not (named or container.ports()):
                continue  # a number reaches whatever listens there; the container declares no port to hold it against
            if not container.has_port(port):
                yield pod.resource.finding(
                    "PROBE-PORT",
                    f"{_where(container)}: {name} checks port {port}, which the container does not "
                    "declare; probe a port listed under ports",
                    (*container.path, name),
                )


def _service_account(pod: PodTemplate) -> tuple[str, str]:
    """The account name and the field that sets it."""
    for field in ("serviceAccountName", "serviceAccount"):
        if pod.spec.get(field):
            return str(pod.spec[field]), field
    return "default", ""


def check_service_account(index: ResourceIndex) -> Iterator[Finding]:
    for pod in index.pods:
        name, field = _service_account(pod)
        where = (*pod.path, field) if field else pod.path
        if name == "default":
            yield pod.resource.finding(
                "SA-MISSING", "pod runs as the namespace's `default` ServiceAccount; give it its own", where
            )
        elif index.get("ServiceAccount", pod.namespace, name) is None and not index.is_external(
            "ServiceAccount", pod.namespace, name
        ):
            yield pod.resource.finding(
                "SA-MISSING",
                f"ServiceAccount `{name}` is not among the rendered resources of namespace {pod.namespace}; "
                "add it, or declare it in external-references",
                where,
            )
        if field == "serviceAccount":
            yield pod.resource.finding("SA-MISSING", "`serviceAccount` is deprecated; use serviceAccountName", where)


def _bound_accounts(index: ResourceIndex) -> set[tuple[str, str]]:
    """(namespace, name) of every ServiceAccount a RoleBinding or ClusterRoleBinding grants a role: an operator or
    controller that calls the API with its token."""
    bound: set[tuple[str, str]] = set()
    for binding in index.all_of_kind("RoleBinding", "ClusterRoleBinding"):
        for _, subject in dict_items(binding.obj, "subjects"):
            if subject.get("kind") == "ServiceAccount":
                namespace = str(subject.get("namespace") or binding.ref.namespace)
                bound.add((namespace, str(subject.get("name"))))
    return bound


def check_service_account_token(index: ResourceIndex) -> Iterator[Finding]:
    bound = _bound_accounts(index)
    for pod in index.pods:
        pod_setting = pod.spec.get("automountServiceAccountToken")
        if pod_setting is False:
            continue
        name, _ = _service_account(pod)
        if (pod.namespace, name) in bound:
            continue  # granted a role: it calls the API with that token
        account = index.get("ServiceAccount", pod.namespace, name)
        if pod_setting is None and account is not None and account.obj.get("automountServiceAccountToken") is False:
            continue
        yield pod.resource.finding(
            "SA-TOKEN-MOUNTED",
            "the pod mounts a service-account token it does not need; set automountServiceAccountToken: false "
            "(or, if it calls the Kubernetes API, suppress this rule with the reason)",
            (*pod.path, "automountServiceAccountToken") if pod_setting is not None else pod.path,
        )
