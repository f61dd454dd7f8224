"""In the shape of bitnami-labs/sealed-secrets and the charts that use it: ciphertext of an image pull secret,
documentation that shows where a key or a webhook would go, and values that name the Secret to read. None of
it is a credential; a real key and a real webhook committed beside them are."""

from __future__ import annotations

import base64
import random

from tests.corpus.shapes import Case, line_of

_RANDOM = random.Random(20)  # fixed: the same tree every run
PEM = "-----BEGIN " + "RSA PRIVATE KEY-----"  # written apart, so that this file is no key
END = "-----END " + "RSA PRIVATE KEY-----"
HOOK = "https://hooks.slack.com/" + "services/"


def _base64(size: int) -> str:
    return base64.b64encode(bytes(_RANDOM.getrandbits(8) for _ in range(size))).decode()


SEALED = f"""\
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata: {{name: registry, namespace: shop}}
spec:
  encryptedData:
    .dockerconfigjson: {_base64(420)}
  template:
    type: kubernetes.io/dockerconfigjson
"""
DOCS = f"""\
# How to bring your own key (an example, not a key):
apiVersion: v1
kind: ConfigMap
metadata: {{name: examples, namespace: shop}}
data:
  tls.key: |
    {PEM}
    ...
    {END}
  webhook: {HOOK}XXXXXXXXX/XXXXXXXXX/XXXXXXXXXXXXXXXXXXXXXXXX
  adminSecret: grafana-admin
  CLIENT_SECRET: oauth-client-credentials
"""
KEY_LINES = "\n".join(f"    {_base64(48)}" for _ in range(6))
LEAK = f"""\
apiVersion: v1
kind: ConfigMap
metadata: {{name: leaked, namespace: shop}}
data:
  tls.key: |
    {PEM}
{KEY_LINES}
    {END}
  webhook: {HOOK}T0{_RANDOM.randrange(10**8)}/B0{_RANDOM.randrange(10**8)}/{_base64(18).replace("/", "a")}
"""

CASES = {
    "ciphertext, placeholders and Secret names are not credentials; a key and a webhook are": Case(
        files={
            "kustomization.yaml": "resources: [sealed.yaml, docs.yaml, leak.yaml]\n",
            "sealed.yaml": SEALED,
            "docs.yaml": DOCS,
            "leak.yaml": LEAK,
        },
        reported={
            ("SCHEMA-NO-SCHEMA", "sealed.yaml", 1),  # no SealedSecret CRD in this tree: not validated
            ("SECRET-IN-FILE", "leak.yaml", line_of(LEAK, "BEGIN")),
            ("SECRET-IN-FILE", "leak.yaml", line_of(LEAK, "webhook")),
            ("SECRET-IN-CONFIGMAP", "leak.yaml", line_of(LEAK, "tls.key")),
            ("SECRET-IN-CONFIGMAP", "leak.yaml", line_of(LEAK, "webhook")),
        },
    ),
}

TEMPLATE = """\
spec:
  containers:
    - args:
        {{- $privateKeyLabels := "" }}
        {{- range $k, $v := .Values.privateKeyLabels }}
        {{- $privateKeyLabels = printf "%s=%s,%s" $k $v $privateKeyLabels }}
        {{- end }}
"""
README = f"""\
# Sealed Secrets

    spec:
      encryptedData:
        .dockerconfigjson: {_base64(120)}.....
"""
CASES["a chart's template code and a README's ciphertext are not credentials"] = Case(
    files={
        "helm/sealed-secrets/Chart.yaml": "apiVersion: v2\nname: sealed-secrets\nversion: 2.18.5\n",
        "helm/sealed-secrets/templates/deployment.yaml": TEMPLATE,
        "README.md": README,
        "site/config.yaml": "params:\n  docs_search_api_key: api_key\n",  # a placeholder: the key's own name
    },
    reported={("COVERAGE-NOTHING-RENDERED", ".", 1)},
)
