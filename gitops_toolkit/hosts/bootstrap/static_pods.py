"""The control plane's static pods as the kubelet runs them: it starts one when its manifest appears in
/etc/kubernetes/manifests and stops it when the manifest goes, and crictl shows which run. Used by the certificate
renewal (restart one at a time) and the restore (stop them all, start them again)."""

from __future__ import annotations

MANIFESTS = "/etc/kubernetes/manifests"
STATIC_PODS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd")
WAIT_SECONDS = 180


def wait_for_container(component: str, running: bool) -> str:
    """Poll crictl (bounded) until the component's container runs, or is gone; a crictl that cannot ask the
    container runtime stops the step."""
    done = '[ -n "$out" ]' if running else '[ -z "$out" ]'
    state = "start again" if running else "stop"
    return (
        f"i=0; while :; do out=$(crictl ps -q --state running --name '^{component}$') || "
        '{ echo "crictl cannot ask the container runtime" >&2; exit 1; }; '
        f"{done} && break; [ $i -ge {WAIT_SECONDS} ] && "
        f'{{ echo "{component} did not {state} within {WAIT_SECONDS} s" >&2; exit 1; }}; sleep 1; i=$((i+1)); done'
    )
