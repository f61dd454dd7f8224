"""In the shape of bitnami-labs/sealed-secrets' controller: an operator whose ServiceAccount a ClusterRoleBinding
grants the right to list and watch, so its pod needs its token mounted; a pod granted nothing does not."""

from __future__ import annotations

import re

from tests.corpus.shapes import Case, deployment, line_of, namespace, network_policies

RBAC = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secrets-unsealer}
rules:
  - apiGroups: [bitnami.com]
    resources: [sealedsecrets]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: sealed-secrets-controller}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secrets-unsealer}
subjects:
  - {kind: ServiceAccount, name: sealed-secrets-controller, namespace: kube-system}
"""


def _with_token(manifest: str) -> str:
    return re.sub(r"^ *automountServiceAccountToken: false\n", "", manifest, flags=re.MULTILINE)


CONTROLLER = _with_token(
    deployment("sealed-secrets-controller", "kube-system", "docker.io/bitnami/sealed-secrets-controller:0.32.2")
)
WEB = _with_token(deployment("web", "kube-system", "registry.example.org/web:1.0.0"))

CASES = {
    "an operator granted a role keeps its token; a pod granted none is told to drop it": Case(
        files={
            "kustomization.yaml": "resources: [namespace.yaml, rbac.yaml, controller.yaml, web.yaml]\n",
            "namespace.yaml": namespace("kube-system", "privileged") + "---\n" + network_policies("kube-system"),
            "rbac.yaml": RBAC,
            "controller.yaml": CONTROLLER,
            "web.yaml": WEB,
        },
        reported={("SA-TOKEN-MOUNTED", "web.yaml", line_of(WEB, "spec:", 2))},
    ),
}
