"""A stand-in for a running platform behind the cluster module's interface (gitops_toolkit/tools/cluster_api.py):
objects answered as `kubectl get -o json` answers them, and controllers that move the state on as a real
cluster's would, one step per request: a Deployment replaces a deleted pod (not Ready at first, Ready a step
later) and rolls a new ReplicaSet when its image changes; Argo CD puts a hand-scaled Deployment back and applies
what git says; a crash-looping pod raises PodCrashLooping in Alertmanager a few steps later, routed by
severity, and it resolves once the pod is gone. The in-cluster HTTP APIs (Prometheus, Alertmanager, Loki,
Tempo, Grafana) answer from the same state. Faults are switched on by the tests."""

from __future__ import annotations

import base64
import copy
import hashlib
import itertools
import json
import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from gitops_toolkit.tools.cluster_api import ClusterError, ClusterUnreachable, HttpAnswer

SHOP = "online-boutique"
GRAFANA_LOGIN = ("admin", "stand-in-password")  # pragma: allowlist secret
ALERT_DELAY = 3  # steps from a crash loop to its alert (the rule's `for`, in miniature); the same to resolve
SELF_HEAL_DELAY = 2  # steps before Argo CD reverts a hand-made change
# Credentials a pod's description and log happen to show: the diagnostics bundle must not keep them.
LEAKED_PASSWORD = "s3cr3t-" + "value"
LEAKED_WEBHOOK = "https://hooks.slack.com/services/" + "T0000/B0000/" + "X" * 24
SLACK_CONFIG = "receivers:\n- name: slack-critical\n  slack_configs: [{channel: '#alerts'}]\n- name: heartbeat\n"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _digest(image: str) -> str:
    return image.split("@", 1)[1] if "@" in image else "sha256:" + hashlib.sha256(image.encode()).hexdigest()


class StandInCluster:
    def __init__(self, shop_deployments: tuple[str, ...] = ("frontend", "cartservice", "redis-cart")) -> None:
        self.step = 0
        self.calls: list[tuple[str, ...]] = []
        self.unreachable = False
        self.new_pods_start = True  # False: new pods stay Pending (no room on the nodes, say)
        self.self_heal = True  # Argo CD's selfHeal is on
        self.alerting = True  # kube-state-metrics -> Prometheus -> Alertmanager works
        self.resolving = True  # False: a fired alert stays active (say, the pod's namespace never goes away)
        self.desired_images: Callable[[], dict[tuple[str, str], str]] = dict  # what git says, per Deployment
        self.interrupt_after: int | None = None  # raise KeyboardInterrupt at this request (Ctrl-C)
        self.closed = False
        self._uids = itertools.count(1)
        self.nodes = [self._node(name) for name in ("cp1", "w1", "w2")]
        self.applications = [self._application(name) for name in ("root", "online-boutique-prod", "loki")]
        self.deployments: dict[tuple[str, str], dict[str, Any]] = {}
        self.pods: dict[tuple[str, str], dict[str, Any]] = {}
        self.created_namespaces: list[str] = []
        self.secrets: dict[tuple[str, str], dict[str, Any]] = {}  # (namespace, name): Secret; Grafana's login else
        self.last_backup = _now()  # the etcd-snapshot CronJob's last success ("" never)
        self.namespaces = {SHOP, "monitoring", "logging", "tracing", "argocd"}
        self.replicas_wanted: dict[tuple[str, str], int] = {}  # what git says about replicas
        self.alerts: dict[str, dict[str, Any]] = {}  # namespace: PodCrashLooping alert
        self.crashing_since: dict[str, int] = {}
        self.gone_since: dict[str, int] = {}
        self.down_targets: list[str] = []
        self.events: list[dict[str, Any]] = []
        self.shop_logs = True
        self.frontend_traces = True
        self.rollouts: Any = None  # a stand-in for Argo Rollouts' controller (tests/stand_in_rollouts.py), if any
        for name in shop_deployments:
            self.add_deployment(SHOP, name, f"registry.example/{name}:v0.10.6")
        self.settle()

    # ----- objects -----

    @staticmethod
    def _node(name: str) -> dict[str, Any]:
        condition = {"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is ready"}
        return {"kind": "Node", "metadata": {"name": name}, "status": {"conditions": [condition]}}

    @staticmethod
    def _application(name: str) -> dict[str, Any]:
        return {
            "kind": "Application",
            "metadata": {"namespace": "argocd", "name": name},
            "status": {"sync": {"status": "Synced"}, "health": {"status": "Healthy"}, "resources": []},
        }

    def add_deployment(self, namespace: str, name: str, image: str, replicas: int = 1) -> None:
        self.namespaces.add(namespace)
        self.deployments[(namespace, name)] = {
            "kind": "Deployment",
            "metadata": {
                "namespace": namespace,
                "name": name,
                "generation": 1,
                "annotations": {"argocd.argoproj.io/tracking-id": f"{namespace}:apps/Deployment:{namespace}/{name}"},
            },
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": name}},
                "template": {"spec": {"containers": [{"name": "server", "image": image}]}},
            },
            "status": {},
        }
        self.replicas_wanted[(namespace, name)] = replicas

    def _pod(self, namespace: str, name: str, labels: dict[str, str], image: str, crashing: bool) -> dict[str, Any]:
        uid = next(self._uids)
        state: dict[str, Any] = {"waiting": {"reason": "CrashLoopBackOff"}} if crashing else {"running": {}}
        return {
            "kind": "Pod",
            "metadata": {
                "namespace": namespace,
                "name": name,
                "uid": f"uid-{uid}",
                "labels": labels,
                "creationTimestamp": _now(),
            },
            "spec": {"containers": [{"name": "server", "image": image}]},
            "status": {
                "phase": "Running",
                "conditions": [{"type": "Ready", "status": "False"}],
                "containerStatuses": [
                    {
                        "name": "server",
                        "image": image,
                        "imageID": f"{image.split('@')[0]}@{_digest(image)}",
                        "state": state,
                    }
                ],
            },
            "_born": self.step,
        }

    # ----- controllers, one step per request -----

    def settle(self) -> None:
        """Let the controllers run until nothing changes (the state a test starts from): the pods made meanwhile
        start even when `new_pods_start` is off."""
        self.settled_at = 10**9
        for _ in range(10):
            self._advance()
        self.settled_at = self.step

    def _advance(self) -> None:
        self.step += 1
        self._argo_cd()
        if self.rollouts is not None:
            self.rollouts.advance()
        self._deployment_controller()
        self._alert_pipeline()

    def _argo_cd(self) -> None:
        desired = self.desired_images()
        for key, item in self.deployments.items():
            spec = item["spec"]
            drifted = spec["replicas"] != self.replicas_wanted[key]
            if drifted and self.self_heal and self.step - item.get("_drifted_at", self.step) >= SELF_HEAL_DELAY:
                spec["replicas"] = self.replicas_wanted[key]
                item["metadata"]["generation"] += 1
            container = spec["template"]["spec"]["containers"][0]
            if key in desired and container["image"] != desired[key]:
                container["image"] = desired[key]
                item["metadata"]["generation"] += 1

    def _deployment_controller(self) -> None:
        for (namespace, name), item in self.deployments.items():
            image = item["spec"]["template"]["spec"]["containers"][0]["image"]
            mine = [
                pod
                for (ns, _), pod in self.pods.items()
                if ns == namespace and pod["metadata"]["labels"] == {"app": name}
            ]
            for pod in mine:  # a pod becomes Ready a step after it was created
                starts = self.new_pods_start or pod["_born"] <= self.settled_at
                if starts and self.step > pod["_born"] and "running" in pod["status"]["containerStatuses"][0]["state"]:
                    pod["status"]["conditions"] = [{"type": "Ready", "status": "True"}]
                elif not starts:
                    pod["status"]["phase"] = "Pending"
            current = [pod for pod in mine if pod["spec"]["containers"][0]["image"] == image]
            old = [pod for pod in mine if pod not in current]
            wanted = int(item["spec"]["replicas"])
            for _ in range(wanted - len(current)):
                suffix = hashlib.sha256(f"{image}{next(self._uids)}".encode()).hexdigest()[:5]
                pod = self._pod(namespace, f"{name}-{suffix}", {"app": name}, image, crashing=False)
                self.pods[(namespace, pod["metadata"]["name"])] = pod
            for pod in current[wanted:]:
                del self.pods[(namespace, pod["metadata"]["name"])]
            ready = [pod for pod in current[:wanted] if pod["status"]["conditions"][0]["status"] == "True"]
            if len(ready) >= wanted:  # the new ReplicaSet is available: the old one is scaled to zero
                for pod in old:
                    del self.pods[(namespace, pod["metadata"]["name"])]
            item["status"] = {
                "observedGeneration": item["metadata"]["generation"],
                "replicas": len(current[:wanted]) + (0 if len(ready) >= wanted else len(old)),
                "updatedReplicas": len(current[:wanted]),
                "availableReplicas": len(ready) + (0 if len(ready) >= wanted else len(old)),
            }

    def _alert_pipeline(self) -> None:
        crashing = {
            ns for (ns, _), pod in self.pods.items() if "waiting" in pod["status"]["containerStatuses"][0]["state"]
        }
        for namespace in crashing:
            since = self.crashing_since.setdefault(namespace, self.step)
            if self.alerting and self.step - since >= ALERT_DELAY and namespace not in self.alerts:
                labels = {"alertname": "PodCrashLooping", "severity": "critical", "namespace": namespace}
                self.alerts[namespace] = {"labels": labels, "receivers": [{"name": "slack-critical"}]}
        for namespace in list(self.alerts):
            if namespace not in crashing:
                since = self.gone_since.setdefault(namespace, self.step)
                if self.resolving and self.step - since >= ALERT_DELAY:
                    del self.alerts[namespace]

    # ----- the interface -----

    def _request(self, *arguments: str) -> None:
        self.calls.append(arguments)
        if self.unreachable:
            raise ClusterUnreachable(
                "the cluster of /stand-in/kubeconfig: dial tcp 10.0.0.1:6443: connect: connection refused"
            )
        if self.interrupt_after is not None and len(self.calls) >= self.interrupt_after:
            self.interrupt_after = None
            raise KeyboardInterrupt
        self._advance()

    @staticmethod
    def _options(arguments: tuple[str, ...]) -> tuple[list[str], dict[str, str]]:
        positional, options, rest = [], {}, list(arguments)
        while rest:
            word = rest.pop(0)
            if word in ("-n", "-l"):
                options[word] = rest.pop(0)
            elif word.startswith("--"):
                key, _, value = word.partition("=")
                options[key] = value
            else:
                positional.append(word)
        return positional, options

    def _listed(self, kind: str) -> list[dict[str, Any]]:
        kubelet_monitor = {"metadata": {"namespace": "monitoring", "name": "kube-prometheus-stack-kubelet"}}
        lists: dict[str, list[dict[str, Any]]] = {
            "nodes": self.nodes,
            "applications.argoproj.io": self.applications,
            "deployments": list(self.deployments.values()),
            "pods": list(self.pods.values()),
            "events": self.events,
            "servicemonitors.monitoring.coreos.com": [kubelet_monitor],
            "rollouts.argoproj.io": [self.rollouts.rollout] if self.rollouts else [],
            "httproutes.gateway.networking.k8s.io": [self.rollouts.route] if self.rollouts else [],
            "cronjobs": [
                {
                    "kind": "CronJob",
                    "metadata": {"namespace": "etcd-backup", "name": "etcd-snapshot"},
                    "status": {"lastSuccessfulTime": self.last_backup} if self.last_backup else {},
                }
            ],
        }
        return lists.get(kind if kind.endswith(("s", ".com", ".io")) else f"{kind}s", [])

    def get(self, *arguments: str) -> Any:
        self._request("get", *arguments)
        (kind, *names), options = self._options(arguments)
        if kind == "secret" and (options.get("-n", "default"), names[0]) in self.secrets:
            return copy.deepcopy(self.secrets[(options.get("-n", "default"), names[0])])
        if kind == "secret":
            user, password = (base64.b64encode(value.encode()).decode() for value in GRAFANA_LOGIN)
            return {"data": {"admin-user": user, "admin-password": password}}
        if kind == "httproute":
            return {"spec": {"hostnames": []}}
        if kind == "gateway":
            return {"status": {}}
        found = [
            copy.deepcopy({key: value for key, value in item.items() if not key.startswith("_")})
            for item in self._listed(kind)
            if ("-n" not in options or item["metadata"].get("namespace") == options["-n"])
            and all(
                item["metadata"].get("labels", {}).get(k) == v
                for k, _, v in [p.partition("=") for p in options.get("-l", "").split(",") if p]
            )
        ]
        if names:
            match = [item for item in found if item["metadata"]["name"] == names[0]]
            if not match:
                raise ClusterError(f'kubectl get {kind}: Error from server (NotFound): {kind} "{names[0]}" not found')
            return match[0]
        return {"items": found}

    def raw(self, path: str) -> Any:
        self._request("get", "--raw", path)
        raise ClusterError("kubectl get --raw: the server could not find the requested resource")

    def text(self, *arguments: str) -> str:
        self._request(*arguments)
        (verb, *rest), options = self._options(arguments)
        name = rest[-1]
        if verb == "describe":
            return f"Name: {name}\nNamespace: {options['-n']}\nEnvironment:\n  ADMIN_PASSWORD: {LEAKED_PASSWORD}\n"
        if "--previous" in options:
            return f"starting\nposting to {LEAKED_WEBHOOK}\npanic: boom"
        return "listening on :8080"

    def change(self, *arguments: str, stdin: str = "") -> str:
        self._request(*arguments)
        (verb, *rest), options = self._options(arguments)
        namespace = options.get("-n", "")
        if verb == "delete" and rest[0] == "pod":
            if not self.pods.pop((namespace, rest[1]), None):
                raise ClusterError(f'kubectl delete pod: Error from server (NotFound): pods "{rest[1]}" not found')
        elif verb == "delete" and rest[0] == "namespace":
            self.namespaces.discard(rest[1])
            self.pods = {key: pod for key, pod in self.pods.items() if key[0] != rest[1]}
        elif verb == "scale":
            item = self.deployments[(namespace, rest[1])]
            item["spec"]["replicas"] = int(options["--replicas"])
            item["metadata"]["generation"] += 1
            item["_drifted_at"] = self.step
        elif verb == "apply":
            for document in map(json.loads, stdin.splitlines()):
                metadata = document["metadata"]
                if document["kind"] == "Namespace":
                    self.namespaces.add(metadata["name"])
                    self.created_namespaces.append(metadata["name"])
                else:
                    command = " ".join(document["spec"]["containers"][0].get("command", []))
                    image = document["spec"]["containers"][0]["image"]
                    pod = self._pod(metadata["namespace"], metadata["name"], {}, image, crashing="exit 1" in command)
                    self.pods[(metadata["namespace"], metadata["name"])] = pod
        return "done"

    def http(
        self, namespace: str, service: str, port: int, path: str, auth: tuple[str, str] | None = None
    ) -> HttpAnswer:
        self._request("http", service, path)
        route, _, query = path.partition("?")
        parameters = urllib.parse.parse_qs(query)
        if service.endswith("-prometheus") and route == "/api/v1/targets":
            pool = "serviceMonitor/monitoring/kube-prometheus-stack-kubelet/0"
            targets = [{"scrapePool": pool, "health": "up", "labels": {"instance": "10.0.0.11:10250"}}]
            targets += [
                {"scrapePool": down, "health": "down", "lastError": "connection refused"} for down in self.down_targets
            ]
            return HttpAnswer(200, json.dumps({"data": {"activeTargets": targets}}))
        if service.endswith("-alertmanager") and route == "/api/v2/alerts":
            watchdog = {"labels": {"alertname": "Watchdog"}, "receivers": [{"name": "heartbeat"}]}
            found = [watchdog, *self.alerts.values()]
            for text in parameters.get("filter", []):
                key, _, value = text.partition("=")
                found = [alert for alert in found if alert["labels"].get(key) == value.strip('"')]
            return HttpAnswer(200, json.dumps(found))
        if service.endswith("-alertmanager") and route == "/api/v2/status":
            return HttpAnswer(200, json.dumps({"config": {"original": SLACK_CONFIG}}))
        if service == "loki-gateway":  # log lines of the namespace the query selects, if it has pods
            namespace = parameters["query"][0].removeprefix('{namespace="').removesuffix('"}')
            logging = self.shop_logs and any(key[0] == namespace for key in self.pods)
            values = [["1700000000000000000", "GET /"]] if logging else []
            result = [{"stream": {"namespace": namespace}, "values": values}]
            return HttpAnswer(200, json.dumps({"data": {"result": result}}))
        if service == "tempo":
            return HttpAnswer(200, json.dumps({"traces": [{"traceID": "abc"}] if self.frontend_traces else []}))
        if service.endswith("-grafana"):
            if auth != GRAFANA_LOGIN:
                return HttpAnswer(401, '{"message":"Invalid username or password"}')
            if route == "/api/datasources":
                return HttpAnswer(200, json.dumps([{"uid": "prometheus", "name": "Prometheus", "type": "prometheus"}]))
            return HttpAnswer(200, '{"status":"OK"}')
        return HttpAnswer(404, "404 page not found")

    def close(self) -> None:
        self.closed = True
