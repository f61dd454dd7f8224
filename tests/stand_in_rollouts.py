"""A stand-in for Argo Rollouts' controller with the Gateway API traffic-router plugin, for one canary Rollout
that runs a Deployment's pod template (`workloadRef`), as far as the canary drill uses it. It acts on the
Rollout, HTTPRoute and AnalysisTemplate the repository renders: each `setWeight` writes the canary's and the
stable's weights on the route's backendRefs, a `pause` lasts a few requests, an `analysis` judges the route's
success rate (every request a failing image's pods answer is an error) against the template's failureCondition
and aborts the rollout when it holds: weights back on the stable pods, phase Degraded. After the last step the
canary is promoted. A template equal to the stable one (a revert in git) is at rest at once, abort cleared."""

from __future__ import annotations

import copy
import hashlib
import math
import re
from typing import Any

from tests.stand_in_cluster import StandInCluster

PAUSE_REQUESTS = 2  # a pause step, in miniature
_CONDITION = re.compile(r"result\[0\]\s*<\s*([0-9.]+)")


def template_hash(image: str) -> str:
    return hashlib.sha256(image.encode()).hexdigest()[:10]


class StandInRollouts:
    def __init__(
        self,
        cluster: StandInCluster,
        rollout: dict[str, Any],
        route: dict[str, Any],
        analysis: dict[str, Any],
        replicas: int = 2,
    ) -> None:
        self.cluster = cluster
        self.rollout = copy.deepcopy(rollout)
        self.route = copy.deepcopy(route)
        self.namespace = str(rollout["metadata"]["namespace"])
        self.name = str(rollout["metadata"]["name"])
        self.workload = (self.namespace, str(rollout["spec"]["workloadRef"]["name"]))
        canary = rollout["spec"]["strategy"]["canary"]
        self.steps: list[dict[str, Any]] = canary["steps"]
        self.services = (str(canary["stableService"]), str(canary["canaryService"]))
        success = next(m for m in analysis["spec"]["metrics"] if m["name"] == "success-rate")
        match = _CONDITION.fullmatch(success["failureCondition"].strip())
        assert match, success["failureCondition"]
        self.failure_below = float(match[1])
        self.replicas = replicas
        self.failing_images: set[str] = set()  # images whose pods answer every request with a 5xx
        self.stable_image = self._template_image()
        self.canary_image = ""
        self.aborted_image = ""
        self.position = 0  # the step the canary is at
        self.paused_since = 0
        self.weight = 0
        self.judged: list[tuple[str, int, float]] = []  # (image, weight, route success rate) of each analysis
        self._set_pods()
        self._publish("Healthy")

    def _template_image(self) -> str:
        deployment = self.cluster.deployments[self.workload]
        return str(deployment["spec"]["template"]["spec"]["containers"][0]["image"])

    # ----- the controller, one step per request -----

    def advance(self) -> None:
        image = self._template_image()
        if image == self.stable_image:
            self.canary_image, self.aborted_image, self.weight = "", "", 0
            self._set_pods()
            self._publish("Healthy")
            return
        if image == self.aborted_image:
            return
        if image != self.canary_image:
            self.canary_image, self.position, self.weight = image, 0, 0
        self._run_step()

    def _run_step(self) -> None:
        if self.position >= len(self.steps):
            self.stable_image, self.canary_image, self.weight = self.canary_image, "", 0
            self._set_pods()
            self._publish("Healthy")
            return
        step = self.steps[self.position]
        phase = "Progressing"
        if "setWeight" in step:
            self.weight = int(step["setWeight"])
            self.position += 1
        elif "pause" in step:
            self.paused_since = self.paused_since or self.cluster.step
            phase = "Paused"
            if self.cluster.step - self.paused_since >= PAUSE_REQUESTS:
                self.position, self.paused_since = self.position + 1, 0
        elif "analysis" in step:
            failing = 1.0 if self.canary_image in self.failing_images else 0.0
            success = 1 - self.weight / 100 * failing
            self.judged.append((self.canary_image, self.weight, success))
            if success < self.failure_below:
                self.aborted_image, self.weight = self.canary_image, 0
                self._set_pods()
                self._publish("Degraded", abort=True, message=f'Metric "success-rate" assessed Failed: {success:.2f}')
                return
            self.position += 1
        self._set_pods()
        self._publish(phase)

    def _set_pods(self) -> None:
        """The stable pods, and the canary's share of them while a canary runs."""
        wanted = {self.stable_image: self.replicas}
        if self.canary_image and self.canary_image != self.aborted_image:
            wanted[self.canary_image] = max(1, math.ceil(self.replicas * self.weight / 100)) if self.weight else 0
        pods = self.cluster.pods
        for key, pod in list(pods.items()):
            labels = pod["metadata"]["labels"]
            if key[0] == self.namespace and labels.get("rollouts-pod-template-hash"):
                image = pod["spec"]["containers"][0]["image"]
                if wanted.get(image, 0) > 0:
                    wanted[image] -= 1
                else:
                    del pods[key]
        for image, missing in wanted.items():
            for _ in range(missing):
                labels = {"app": self.workload[1], "rollouts-pod-template-hash": template_hash(image)}
                name = f"{self.name}-{template_hash(image)}-{len(pods)}"
                pod = self.cluster._pod(self.namespace, name, labels, image, crashing=False)
                pod["status"]["conditions"] = [{"type": "Ready", "status": "True"}]
                pods[(self.namespace, name)] = pod

    def _publish(self, phase: str, abort: bool = False, message: str = "") -> None:
        stable, canary = self.services
        for rule in self.route["spec"]["rules"]:
            for backend in rule["backendRefs"]:
                if backend["name"] in (stable, canary):
                    backend["weight"] = self.weight if backend["name"] == canary else 100 - self.weight
        current = template_hash(self.canary_image or self.aborted_image or self.stable_image)
        self.rollout["status"] = {
            "phase": phase,
            "abort": abort,
            "message": message,
            "stableRS": template_hash(self.stable_image),
            "currentPodHash": current,
            "canary": {"weights": {"canary": {"weight": self.weight}, "stable": {"weight": 100 - self.weight}}},
        }
