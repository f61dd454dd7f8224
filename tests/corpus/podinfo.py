"""In the shape of stefanprodan/podinfo's `deploy/`: an app as plain folders (`common/` with the namespace and
accounts, `frontend/`, `backend/`), applied together, nothing naming them; a certificate cert-manager turns into
the Secret the frontend mounts; a Service on a number the pods do not declare (they declare none)."""

from __future__ import annotations

import re

from tests.corpus.shapes import Case, autoscaler, deployment, line_of, namespace, network_policies

FRONTEND = deployment(
    "frontend",
    "webapp",
    "ghcr.io/stefanprodan/podinfo:6.9.2",
    extra_container="    volumeMounts:\n      - {name: tls, mountPath: /tls, readOnly: true}\n",
    extra_pod="volumes:\n  - name: tls\n    secret: {secretName: frontend-tls}\n",
)
BACKEND = (
    re.sub(
        r" *ports:\n *- \{name: http, containerPort: 8080\}\n",
        "",
        deployment("backend", "webapp", "ghcr.io/stefanprodan/podinfo:6.9.2"),
        count=1,
    )
    .replace("port: http}", "port: 8080}")
    .replace("targetPort: http}", "targetPort: 9898}")
)
CERTIFICATE = """\
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: frontend, namespace: webapp}
spec:
  secretName: frontend-tls
  dnsNames: [podinfo.example.org]
  issuerRef: {name: letsencrypt, kind: ClusterIssuer}
"""
HPA = autoscaler("frontend", "webapp", "frontent", 1, 4)  # the target's name misspelled

CASES = {
    "sibling folders of one app are checked together; what controllers make is there; a typo is not": Case(
        files={
            "deploy/webapp/common/namespace.yaml": namespace("webapp") + "---\n" + network_policies("webapp"),
            "deploy/webapp/frontend/deployment.yaml": FRONTEND,
            "deploy/webapp/frontend/certificate.yaml": CERTIFICATE,
            "deploy/webapp/frontend/hpa.yaml": HPA,
            "deploy/webapp/backend/deployment.yaml": BACKEND,
        },
        reported={
            ("SCHEMA-NO-SCHEMA", "deploy/webapp/frontend/certificate.yaml", 1),
            ("XREF-HPA-TARGET", "deploy/webapp/frontend/hpa.yaml", line_of(HPA, "scaleTargetRef")),
        },
        said={("COVERAGE-UNREFERENCED", "deploy/webapp/backend/deployment.yaml")},
    ),
}
