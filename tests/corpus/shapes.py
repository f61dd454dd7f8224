"""The pieces corpus trees are built from, and what a corpus case holds. Workloads are written to pass every
workload rule (restricted Pod Security, probes, resources, a ServiceAccount, network policies), so that a tree
reports only what it plants."""

from __future__ import annotations

from dataclasses import dataclass, field

Finding = tuple[str, str, int]  # rule, path, line


@dataclass(frozen=True)
class Case:
    """A tree, every error and warning the gate must report on it (rule, file, line), and the info findings it
    must say (rule, file)."""

    files: dict[str, str]
    reported: set[Finding] = field(default_factory=set)
    said: set[tuple[str, str]] = field(default_factory=set)
    origin: str = "https://gitlab.example.org/team/cluster.git"


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The line (from 1) of the `occurrence`-th line of `text` that holds `needle`: where a finding must point."""
    lines = [number for number, line in enumerate(text.splitlines(), start=1) if needle in line]
    return lines[occurrence - 1]


def namespace(name: str, level: str = "restricted") -> str:
    return f"""\
apiVersion: v1
kind: Namespace
metadata:
  name: {name}
  labels:
    pod-security.kubernetes.io/enforce: {level}
"""


def network_policies(namespace: str) -> str:
    """Deny by default, and let every pod resolve names."""
    return f"""\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: default-deny, namespace: {namespace}}}
spec:
  podSelector: {{}}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: allow-dns, namespace: {namespace}}}
spec:
  podSelector: {{}}
  policyTypes: [Egress]
  egress:
    - to:
        - namespaceSelector:
            matchLabels: {{kubernetes.io/metadata.name: kube-system}}
          podSelector:
            matchLabels: {{k8s-app: kube-dns}}
      ports:
        - {{protocol: UDP, port: 53}}
        - {{protocol: TCP, port: 53}}
"""


def pod_spec(
    name: str, image: str, indent: int, extra_container: str = "", extra_pod: str = "", security: str = ""
) -> str:
    """A hardened pod spec's fields, indented by `indent` spaces; `security` adds lines (at the level of its
    fields) to the container's securityContext, `extra_container` to the container, `extra_pod` to the pod."""
    text = f"""\
serviceAccountName: {name}
automountServiceAccountToken: false
securityContext:
  runAsNonRoot: true
  runAsUser: 1000
  seccompProfile: {{type: RuntimeDefault}}
containers:
  - name: server
    image: {image}
    ports:
      - {{name: http, containerPort: 8080}}
    readinessProbe:
      httpGet: {{path: /healthz, port: http}}
    livenessProbe:
      httpGet: {{path: /healthz, port: http}}
    resources:
      requests: {{cpu: 50m, memory: 64Mi}}
      limits: {{memory: 128Mi}}
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {{drop: [ALL]}}
{security}{extra_container}{extra_pod}"""
    return "".join(" " * indent + line if line.strip() else line for line in text.splitlines(keepends=True))


def deployment(
    name: str, namespace: str, image: str, extra_container: str = "", extra_pod: str = "", security: str = ""
) -> str:
    """A hardened Deployment with its ServiceAccount and Service (selector `app: name`, port 80 to http)."""
    return f"""\
apiVersion: v1
kind: ServiceAccount
metadata: {{name: {name}, namespace: {namespace}}}
automountServiceAccountToken: false
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
{pod_spec(name, image, 6, extra_container, extra_pod, security)}---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  selector: {{app: {name}}}
  ports:
    - {{name: http, port: 80, targetPort: http}}
"""


def app_project(name: str, repository: str, namespaces: list[str]) -> str:
    destinations = "".join(f"    - {{server: https://kubernetes.default.svc, namespace: {n}}}\n" for n in namespaces)
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {{name: {name}, namespace: argocd}}
spec:
  sourceRepos: [{repository}]
  destinations:
{destinations}  clusterResourceWhitelist:
    - {{group: "", kind: Namespace}}
"""


def application(name: str, project: str, repository: str, path: str, namespace: str, source_extra: str = "") -> str:
    """An Application of a path of `repository` that passes every GitOps rule; `source_extra` adds lines (at
    the level of its fields) to its source."""
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
  namespace: argocd
spec:
  project: {project}
  source:
    repoURL: {repository}
    targetRevision: main
    path: {path}
{source_extra}  destination: {{server: https://kubernetes.default.svc, namespace: {namespace}}}
  syncPolicy:
    automated: {{prune: true, selfHeal: true}}
    retry: {{limit: 3, backoff: {{duration: 5s, factor: 2, maxDuration: 1m}}}}
"""


def autoscaler(name: str, namespace: str, target: str, low: int, high: int) -> str:
    """A HorizontalPodAutoscaler of Deployment `target`."""
    return f"""\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: {target}}}
  minReplicas: {low}
  maxReplicas: {high}
"""


def crd(group: str, kind: str, plural: str) -> str:
    """A CustomResourceDefinition that accepts any spec: what a tree needs for its custom resources to be known."""
    return f"""\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {{name: {plural}.{group}}}
spec:
  group: {group}
  names: {{kind: {kind}, plural: {plural}, singular: {kind.lower()}, listKind: {kind}List}}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: {{type: object, x-kubernetes-preserve-unknown-fields: true}}
"""
