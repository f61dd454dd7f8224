"""The rest of Pod Security "baseline" and "restricted" for Kubernetes 1.37, field by field as the
pod-security-admission policies read them (pod level, then every container, init and ephemeral ones
included), and Services that publish pods outside the shared Gateway."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.object_paths import get_path, mapping
from gitops_toolkit.gate.rules.index import Container, PodTemplate, ResourceIndex

_APPARMOR_TYPES = {"RuntimeDefault", "Localhost"}
_APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"
_SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t"}
_SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_notsent_lowat",
}
# Restricted: the only volume sources a pod may use.
_RESTRICTED_VOLUMES = {
    "configMap",
    "downwardAPI",
    "emptyDir",
    "projected",
    "secret",
    "csi",
    "persistentVolumeClaim",
    "ephemeral",
    "image",
}
_HANDLERS = ("readinessProbe", "livenessProbe", "startupProbe")


def _contexts(pod: PodTemplate) -> Iterator[tuple[Mapping[str, Any], tuple[str | int, ...], str]]:
    """The pod's security context and each container's, with their paths and how to name them."""
    yield pod.security_context, (*pod.path, "securityContext"), "the pod"
    for container in pod.containers():
        context = mapping(container.body.get("securityContext"))
        yield context, (*container.path, "securityContext"), f"container `{container.name}`"


def check_apparmor(index: ResourceIndex) -> Iterator[Finding]:
    for pod in index.pods:
        for context, path, who in _contexts(pod):
            kind = mapping(context.get("appArmorProfile")).get("type")
            if kind is not None and kind not in _APPARMOR_TYPES:
                yield pod.resource.finding(
                    "SEC-APPARMOR",
                    f"{who} sets AppArmor profile {kind}; use RuntimeDefault or Localhost",
                    (*path, "appArmorProfile", "type"),
                )
        template_path = pod.path[:-1]
        annotations = mapping(get_path(pod.resource.obj, (*template_path, "metadata", "annotations")))
        for key, value in annotations.items():
            if str(key).startswith(_APPARMOR_ANNOTATION) and not (
                value in ("", "runtime/default") or str(value).startswith("localhost/")
            ):
                yield pod.resource.finding(
                    "SEC-APPARMOR",
                    f"annotation {key}: {value} disables AppArmor; use runtime/default or a localhost/ profile",
                    (*template_path, "metadata", "annotations", str(key)),
                )


def check_selinux(index: ResourceIndex) -> Iterator[Finding]:
    for pod in index.pods:
        for context, path, who in _contexts(pod):
            options = mapping(context.get("seLinuxOptions"))
            if str(options.get("type", "")) not in _SELINUX_TYPES:
                yield pod.resource.finding(
                    "SEC-SELINUX",
                    f"{who} sets SELinux type {options['type']}; only container_t, container_init_t or "
                    "container_kvm_t are allowed",
                    (*path, "seLinuxOptions", "type"),
                )
            for field in ("user", "role"):
                if options.get(field):
                    yield pod.resource.finding(
                        "SEC-SELINUX",
                        f"{who} sets SELinux {field} {options[field]}; remove it",
                        (*path, "seLinuxOptions", field),
                    )


def check_sysctls(index: ResourceIndex) -> Iterator[Finding]:
    for pod in index.pods:
        sysctls = pod.security_context.get("sysctls")
        for position, sysctl in enumerate(sysctls if isinstance(sysctls, list) else []):
            name = str(mapping(sysctl).get("name", ""))
            if name not in _SAFE_SYSCTLS:
                yield pod.resource.finding(
                    "SEC-SYSCTL",
                    f"sysctl {name} is not in Pod Security's safe set; it changes the node's kernel for every pod",
                    (*pod.path, "securityContext", "sysctls", position, "name"),
                )


def check_proc_mount(index: ResourceIndex) -> Iterator[Finding]:
    for pod in index.pods:
        for container in pod.containers():
            mount = mapping(container.body.get("securityContext")).get("procMount")
            if mount not in (None, "Default"):
                yield pod.resource.finding(
                    "SEC-PROC-MOUNT",
                    f"container `{container.name}` sets procMount: {mount}, which unmasks /proc; remove it",
                    (*container.path, "securityContext", "procMount"),
                )


def check_host_process(index: ResourceIndex) -> Iterator[Finding]:
    for pod in index.pods:
        for context, path, who in _contexts(pod):
            if mapping(context.get("windowsOptions")).get("hostProcess") is True:
                yield pod.resource.finding(
                    "SEC-HOST-PROCESS",
                    f"{who} runs as a Windows host process, with the node's privileges; remove hostProcess",
                    (*path, "windowsOptions", "hostProcess"),
                )


def _handlers(container: Container) -> Iterator[tuple[Mapping[str, Any], tuple[str | int, ...]]]:
    for probe in _HANDLERS:
        yield mapping(container.body.get(probe)), (*container.path, probe)
    lifecycle = mapping(container.body.get("lifecycle"))
    for hook in ("postStart", "preStop"):
        yield mapping(lifecycle.get(hook)), (*container.path, "lifecycle", hook)


def check_probe_hosts(index: ResourceIndex) -> Iterator[Finding]:
    for pod in index.pods:
        for container in pod.containers():
            for handler, path in _handlers(container):
                for action in ("httpGet", "tcpSocket"):
                    host = mapping(handler.get(action)).get("host")
                    if host:
                        yield pod.resource.finding(
                            "SEC-PROBE-HOST",
                            f"container `{container.name}` probes host {host}: a probe may only reach its own pod; "
                            "remove host",
                            (*path, action, "host"),
                        )


def check_volume_types(index: ResourceIndex) -> Iterator[Finding]:
    for pod in index.pods:
        volumes = pod.spec.get("volumes")
        for position, volume in enumerate(volumes if isinstance(volumes, list) else []):
            for source in sorted(set(mapping(volume)) - {"name"} - _RESTRICTED_VOLUMES):
                if source != "hostPath":  # SEC-HOST-PATH says it
                    yield pod.resource.finding(
                        "SEC-VOLUME-TYPE",
                        f"volume `{mapping(volume).get('name')}` is a {source} volume, which Pod Security restricted "
                        "refuses; use a persistentVolumeClaim, csi or ephemeral volume instead",
                        (*pod.path, "volumes", position, source),
                    )


def check_service_types(index: ResourceIndex) -> Iterator[Finding]:
    for service in index.of_kind("Service"):
        kind = get_path(service.obj, ("spec", "type"))
        if kind in ("LoadBalancer", "NodePort"):
            yield service.finding(
                "SEC-SERVICE-TYPE",
                f"a {kind} Service publishes pods outside the shared Gateway and its policies; route to a ClusterIP "
                "Service with an HTTPRoute instead",
                ("spec", "type"),
            )
