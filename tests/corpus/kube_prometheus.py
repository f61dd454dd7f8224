"""In the shape of prometheus-operator/kube-prometheus: a root kustomization over `manifests/`, the Grafana
dashboards as one file of ConfigMaps over 1 MiB (each ConfigMap well under the API server's limit)."""

from __future__ import annotations

from tests.corpus.shapes import Case, deployment, line_of, namespace, network_policies

_BOARD = '{"title": "Nodes", "panels": [' + ", ".join(['{"type": "timeseries"}'] * 12000) + "]}"
DASHBOARDS = "apiVersion: v1\nkind: ConfigMapList\nitems:\n" + "".join(
    f"  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: grafana-dashboard-{n}\n"
    f"      namespace: monitoring\n    data:\n      board-{n}.json: '{_BOARD}'\n"
    for n in range(4)
)

GRAFANA = deployment(
    "grafana",
    "monitoring",
    "docker.io/grafana/grafana:12.2.1",
    extra_container="    volumeMounts:\n      - {name: tmp, mountPath: /tmp}\n",
    extra_pod="volumes:\n  - name: tmp\n    emptyDir: {}\n",
    security="      privileged: true\n",
)

CASES = {
    "a dashboards file over 1 MiB renders, and the privileged container beside it is found": Case(
        files={
            "kustomization.yaml": "resources:\n"
            + "".join(f"  - manifests/{name}\n" for name in ("namespace.yaml", "dashboards.yaml", "grafana.yaml")),
            "manifests/namespace.yaml": namespace("monitoring") + "---\n" + network_policies("monitoring"),
            "manifests/dashboards.yaml": DASHBOARDS,
            "manifests/grafana.yaml": GRAFANA,
        },
        reported={("SEC-PRIVILEGED", "manifests/grafana.yaml", line_of(GRAFANA, "privileged: true"))},
    ),
}
