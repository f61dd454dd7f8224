"""In the shape of argoproj/argoproj-deployments and kostis-codefresh/gitops-environment-promotion: Argo CD
Applications over kustomize bases, some with `spec.source.kustomize` settings (images, replicas, patches, a
name prefix), which Argo CD applies before it builds the path; and one whose base is a remote URL."""

from __future__ import annotations

from tests.corpus.shapes import Case, app_project, application, deployment, line_of, namespace, network_policies

ORIGIN = "https://gitlab.example.org/team/deployments.git"
BASE = deployment("guestbook", "guestbook", "registry.example.org/guestbook:latest")
PROTECTED_NAMESPACE = namespace("guestbook").replace(
    "metadata:\n", "metadata:\n  annotations:\n    argocd.argoproj.io/sync-options: Prune=false,Delete=false\n"
)
PINNED = """\
    kustomize:
      namePrefix: prod-
      images:
        - registry.example.org/guestbook:1.4.0
      replicas:
        - {name: guestbook, count: 3}
"""
PRIVILEGED = """\
    kustomize:
      images:
        - registry.example.org/guestbook=registry.example.org/guestbook:1.4.0
      patches:
        - target: {kind: Deployment, name: guestbook}
          patch: |-
            - op: add
              path: /spec/template/spec/containers/0/securityContext/privileged
              value: true
"""
PRIVILEGED_APP = application("guestbook-debug", "apps", ORIGIN, "apps/guestbook/base", "guestbook", PRIVILEGED)
# Argo CD's own kinds, not validated without their CRDs (this tree vendors none): said as a warning.
UNVALIDATED = {("SCHEMA-NO-SCHEMA", "argocd/project.yaml", 1), ("SCHEMA-NO-SCHEMA", "argocd/guestbook.yaml", 1)}
COMMON = {
    "argocd/kustomization.yaml": "resources: [project.yaml, guestbook.yaml]\n",
    "argocd/project.yaml": app_project("apps", ORIGIN, ["guestbook"]),
    "apps/guestbook/base/kustomization.yaml": "resources: [namespace.yaml, policies.yaml, guestbook.yaml]\n",
    "apps/guestbook/base/namespace.yaml": PROTECTED_NAMESPACE,
    "apps/guestbook/base/policies.yaml": network_policies("guestbook"),
    "apps/guestbook/base/guestbook.yaml": BASE,
}

CASES = {
    "an image the Application pins is what is checked, not the base's `latest`": Case(
        files={
            **COMMON,
            "argocd/guestbook.yaml": application(
                "guestbook", "apps", ORIGIN, "apps/guestbook/base", "guestbook", PINNED
            ),
        },
        reported=UNVALIDATED,
        origin=ORIGIN,
    ),
    "a container the Application's patch makes privileged is found": Case(
        files={**COMMON, "argocd/guestbook.yaml": PRIVILEGED_APP},
        reported={
            ("SEC-PRIVILEGED", "apps/guestbook/base/guestbook.yaml", line_of(BASE, "securityContext:", 2)),
            *UNVALIDATED,
        },
        origin=ORIGIN,
    ),
    "a remote base is fetched by Argo CD, not by the gate: said, not called a failed sync": Case(
        files={
            "argocd/kustomization.yaml": COMMON["argocd/kustomization.yaml"],
            "argocd/project.yaml": COMMON["argocd/project.yaml"],
            "apps/guestbook/remote/kustomization.yaml": "resources:\n"
            "  - https://github.com/example/guestbook//manifests?ref=v1.4.0\n",
            "argocd/guestbook.yaml": application("guestbook", "apps", ORIGIN, "apps/guestbook/remote", "guestbook"),
        },
        reported=UNVALIDATED,
        said={
            ("GUARD-REMOTE-RESOURCE", "apps/guestbook/remote/kustomization.yaml"),
            ("RENDER-SKIPPED", "apps/guestbook/remote/kustomization.yaml"),
        },
        origin=ORIGIN,
    ),
}

CASES["a project beside a remote base is not rendered, yet it exists: its Applications are not called orphans"] = Case(
    files={
        "argocd/kustomization.yaml": "resources:\n  - project.yaml\n"
        "  - https://raw.githubusercontent.com/argoproj/argo-cd/v3.5.0/manifests/install.yaml\n",
        "argocd/project.yaml": COMMON["argocd/project.yaml"],
        "apps/kustomization.yaml": "resources: [guestbook.yaml]\n",
        "apps/guestbook.yaml": application("guestbook", "apps", ORIGIN, "apps/guestbook/remote", "guestbook"),
        "apps/guestbook/remote/kustomization.yaml": "resources:\n"
        "  - https://github.com/example/guestbook//manifests?ref=v1.4.0\n",
    },
    reported={("SCHEMA-NO-SCHEMA", "apps/guestbook.yaml", 1)},
    said={("GUARD-REMOTE-RESOURCE", "argocd/kustomization.yaml"), ("RENDER-SKIPPED", "argocd/kustomization.yaml")},
    origin=ORIGIN,
)
