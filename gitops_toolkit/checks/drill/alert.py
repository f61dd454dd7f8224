"""alert: a pod that crash-loops on purpose in a namespace of its own; pass when Alertmanager holds the
PodCrashLooping alert for it, routed to the critical Slack receiver; then the namespace is removed (also on
failure or Ctrl-C) and the drill waits for the alert to resolve."""

from __future__ import annotations

import json
import secrets
import sys
import urllib.parse
from collections.abc import Iterator
from typing import Any

from gitops_toolkit.checks.drill.settings import DrillSettings
from gitops_toolkit.checks.smoke.observability_checks import ALERTMANAGER, ask
from gitops_toolkit.checks.smoke.result import PASS, CheckResult
from gitops_toolkit.tools.cluster_api import ClusterApi, ClusterError, ClusterUnreachable

ALERT = "PodCrashLooping"
CRITICAL_RECEIVER = "slack-critical"  # observability/alertmanager/values.yaml routes severity=critical here
CRASHING_IMAGE = "docker.io/library/busybox:1.37.0"


def crashing_pod(namespace: str) -> list[dict[str, Any]]:
    """A Namespace (Pod Security restricted) and a pod in it that exits 1 at once, restarted for ever."""
    security = {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
        "runAsUser": 65534,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": namespace,
                "labels": {"pod-security.kubernetes.io/enforce": "restricted", "app.kubernetes.io/part-of": "drill"},
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "crash-loop", "namespace": namespace},
            "spec": {
                "restartPolicy": "Always",
                "automountServiceAccountToken": False,
                "containers": [
                    {
                        "name": "crash",
                        "image": CRASHING_IMAGE,
                        "command": ["sh", "-c", "echo 'drill: crashing on purpose'; exit 1"],
                        "resources": {"requests": {"cpu": "5m", "memory": "8Mi"}, "limits": {"memory": "16Mi"}},
                        "securityContext": security,
                    }
                ],
            },
        },
    ]


def alerts_for(cluster: ClusterApi, namespace: str) -> list[dict[str, Any]]:
    filters = [f'alertname="{ALERT}"', f'namespace="{namespace}"']
    path = "/api/v2/alerts?" + urllib.parse.urlencode([("filter", f) for f in filters] + [("active", "true")])
    return list(ask(cluster, ALERTMANAGER, path))


def alert(settings: DrillSettings) -> Iterator[CheckResult]:
    cluster, clock = settings.cluster, settings.clock
    namespace = f"drill-alert-{secrets.token_hex(3)}"
    manifest = "\n".join(json.dumps(document) for document in crashing_pod(namespace))
    created = True  # unless kubectl never reached the API server: then there is nothing to remove
    try:
        try:
            cluster.change("apply", "-f", "-", stdin=manifest)
        except ClusterUnreachable:
            created = False
            raise

        def routed() -> str:
            found = alerts_for(cluster, namespace)
            if not found:
                return f"no {ALERT} alert for {namespace} yet"
            receivers = {receiver.get("name") for item in found for receiver in item.get("receivers", [])}
            return "" if CRITICAL_RECEIVER in receivers else f"routed to {', '.join(sorted(map(str, receivers)))}"

        seconds = clock.wait_for(f"{ALERT} for {namespace} routed to {CRITICAL_RECEIVER}", routed)
        detail = f"{ALERT} for {namespace}/crash-loop reached {CRITICAL_RECEIVER}"
        yield CheckResult("DRILL-ALERT-FIRING", PASS, seconds, detail)
    finally:
        if created:
            print(f"drill: deleting namespace {namespace}", file=sys.stderr)
            try:
                cluster.change("delete", "namespace", namespace, "--wait=false", "--ignore-not-found")
            except ClusterError as error:
                print(f"drill: could not delete {namespace}: {error}; delete it by hand", file=sys.stderr)
    seconds = clock.wait_for(
        f"{ALERT} for {namespace} resolved", lambda: "still active" if alerts_for(cluster, namespace) else ""
    )
    yield CheckResult("DRILL-ALERT-RESOLVED", PASS, seconds, f"the alert resolved once {namespace} was gone")
