"""The rules on this repository's real manifests: each defect planted in a copy makes `invoke validate`
exit 1 with a finding on the planted resource (the clean repository passes: test_validate_command)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from tests.conftest import invoke_validate
from tests.plants import Plant, both, replace, write

pytestmark = pytest.mark.integration
APP = "gitops-repo/apps/online-boutique"
BASE = f"{APP}/base"


def slack_webhook() -> str:  # assembled at run time: this repository commits no credential-shaped text
    return (
        "https://hooks.slack.com/"
        + "services/"
        + "/".join(["T0" + "1" * 8, "B0" + "2" * 8, "Zp4Tq9Wm2Lk8" + "Rv3Nc6Hy1Bd5"])
    )


def docker_config_secret() -> str:
    registry = "registry.local"
    auths = json.dumps({"auths": {registry: {"auth": base64.b64encode(b"ci:" + b"pw" * 8).decode()}}})
    encoded = base64.b64encode(auths.encode()).decode()
    return (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: registry-credentials\ntype: kubernetes.io/dockerconfigjson\n"
        f"data:\n  .dockerconfigjson: {encoded}\n"
    )


POLICIES = f"{APP}/components/network-policies"
PLATFORM = "gitops-repo/platform"
APPLICATIONS = f"{APP}/applications"
DEV = f"{APP}/overlays/dev/kustomization.yaml"
COMMITTED_SECRET = both(
    write(f"{APP}/overlays/dev/registry-credentials.yaml", docker_config_secret),
    replace(DEV, "  - ../../base\n", "  - ../../base\n  - registry-credentials.yaml\n"),
)

# defect: (plant, rule, file the finding names, resource name or "" for file-level findings)
PLANTED: dict[str, tuple[Plant, str, str, str]] = {
    "container runs as root": (
        replace(f"{BASE}/adservice.yaml", "runAsUser: 1000", "runAsUser: 0"),
        "SEC-RUN-AS-ROOT",
        f"{BASE}/adservice.yaml",
        "adservice",
    ),
    "privilege escalation allowed": (
        replace(f"{BASE}/cartservice.yaml", "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true"),
        "SEC-PRIVILEGE-ESCALATION",
        f"{BASE}/cartservice.yaml",
        "cartservice",
    ),
    "privileged container": (
        replace(f"{BASE}/shippingservice.yaml", "privileged: false", "privileged: true"),
        "SEC-PRIVILEGED",
        f"{BASE}/shippingservice.yaml",
        "shippingservice",
    ),
    "capability added": (
        replace(f"{BASE}/currencyservice.yaml", "drop: [ALL]", "drop: [ALL]\n              add: [NET_ADMIN]"),
        "SEC-CAPABILITIES",
        f"{BASE}/currencyservice.yaml",
        "currencyservice",
    ),
    "no seccomp profile": (
        replace(f"{BASE}/emailservice.yaml", "        seccompProfile:\n          type: RuntimeDefault\n", ""),
        "SEC-SECCOMP",
        f"{BASE}/emailservice.yaml",
        "emailservice",
    ),
    "host network": (
        replace(
            f"{BASE}/paymentservice.yaml",
            "      serviceAccountName:",
            "      hostNetwork: true\n      serviceAccountName:",
        ),
        "SEC-HOST-NAMESPACE",
        f"{BASE}/paymentservice.yaml",
        "paymentservice",
    ),
    "runtime socket mounted": (
        replace(
            f"{BASE}/redis-cart.yaml",
            "      volumes:\n",
            "      volumes:\n        - name: docker\n          hostPath:\n            path: /var/run/docker.sock\n",
        ),
        "SEC-HOST-PATH",
        f"{BASE}/redis-cart.yaml",
        "redis-cart",
    ),
    "host port": (
        replace(
            f"{BASE}/shippingservice.yaml",
            "containerPort: 50051",
            "containerPort: 50051\n              hostPort: 50051",
        ),
        "SEC-HOST-PORT",
        f"{BASE}/shippingservice.yaml",
        "shippingservice",
    ),
    "writable root filesystem": (
        replace(f"{BASE}/productcatalogservice.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false"),
        "SEC-WRITABLE-ROOT-FS",
        f"{BASE}/productcatalogservice.yaml",
        "productcatalogservice",
    ),
    "no memory limit": (
        replace(f"{BASE}/recommendationservice.yaml", "            limits:\n              memory: 450Mi\n", ""),
        "RES-MISSING",
        f"{BASE}/recommendationservice.yaml",
        "recommendationservice",
    ),
    "no liveness probe": (
        replace(
            f"{BASE}/checkoutservice.yaml",
            "          livenessProbe:\n            grpc:\n              port: 5050\n",
            "",
        ),
        "PROBE-MISSING",
        f"{BASE}/checkoutservice.yaml",
        "checkoutservice",
    ),
    "probe on an undeclared port": (
        replace(
            f"{BASE}/frontend.yaml",
            "              path: /_healthz\n              port: http\n",
            "              path: /_healthz\n              port: 8081\n",
        ),
        "PROBE-PORT",
        f"{BASE}/frontend.yaml",
        "frontend",
    ),
    "latest image": (
        replace(f"{BASE}/adservice.yaml", "adservice:v0.10.6", "adservice:latest"),
        "IMAGE-TAG",
        f"{BASE}/adservice.yaml",
        "adservice",
    ),
    "image from another registry": (
        replace(f"{BASE}/cartservice.yaml", "us-central1-docker.pkg.dev/online-boutique-ci", "quay.io/somebody"),
        "IMAGE-REGISTRY",
        f"{BASE}/cartservice.yaml",
        "cartservice",
    ),
    "default service account": (
        replace(f"{BASE}/emailservice.yaml", "serviceAccountName: emailservice", "serviceAccountName: default"),
        "SA-MISSING",
        f"{BASE}/emailservice.yaml",
        "emailservice",
    ),
    "token mounted": (
        replace(
            f"{BASE}/paymentservice.yaml",
            "      automountServiceAccountToken: false\n",
            "      automountServiceAccountToken: true\n",
        ),
        "SA-TOKEN-MOUNTED",
        f"{BASE}/paymentservice.yaml",
        "paymentservice",
    ),
    "Service selects nothing": (
        replace(
            f"{BASE}/adservice.yaml",
            "  selector:\n    app.kubernetes.io/name: adservice",
            "  selector:\n    app.kubernetes.io/name: adsrvice",
        ),
        "XREF-SERVICE-SELECTOR",
        f"{BASE}/adservice.yaml",
        "adservice",
    ),
    "Service target port missing": (
        replace(f"{BASE}/currencyservice.yaml", "targetPort: grpc", "targetPort: grcp"),
        "XREF-SERVICE-PORT",
        f"{BASE}/currencyservice.yaml",
        "currencyservice",
    ),
    "address on the container port instead of the Service port": (
        replace(f"{BASE}/checkoutservice.yaml", "emailservice:5000", "emailservice:8080"),
        "XREF-ADDRESS",
        f"{BASE}/checkoutservice.yaml",
        "checkoutservice",
    ),
    "missing ConfigMap": (
        replace(
            f"{BASE}/frontend.yaml",
            "            - name: ENV_PLATFORM\n              value: onprem\n",
            "            - name: ENV_PLATFORM\n              valueFrom:\n"
            "                configMapKeyRef: {name: branding, key: platform}\n",
        ),
        "XREF-MISSING-REFERENCE",
        f"{BASE}/frontend.yaml",
        "frontend",
    ),
    "HPA target pins replicas": (
        replace(
            f"{APP}/overlays/prod/kustomization.yaml",
            "replicas:\n",
            "replicas:\n  - name: checkoutservice\n    count: 3\n",
        ),
        "XREF-HPA-REPLICAS",
        f"{BASE}/checkoutservice.yaml",
        "checkoutservice",
    ),
    "HPA target missing": (
        replace(
            f"{APP}/components/autoscaling/horizontal-pod-autoscalers.yaml",
            "    name: checkoutservice\n",
            "    name: checkoutservce\n",
        ),
        "XREF-HPA-TARGET",
        f"{APP}/components/autoscaling/horizontal-pod-autoscalers.yaml",
        "checkoutservice",
    ),
    "PDB blocks drains": (
        replace(f"{APP}/components/autoscaling/pod-disruption-budgets.yaml", "maxUnavailable: 1", "maxUnavailable: 0"),
        "XREF-PDB-BLOCKS-DRAIN",
        f"{APP}/components/autoscaling/pod-disruption-budgets.yaml",
        "adservice",
    ),
    "duplicate env": (
        replace(
            f"{BASE}/frontend.yaml",
            "            - name: ENABLE_PROFILER\n",
            '            - name: PORT\n              value: "8081"\n            - name: ENABLE_PROFILER\n',
        ),
        "XREF-DUPLICATE-ENV",
        f"{BASE}/frontend.yaml",
        "frontend",
    ),
    "two Applications deploy the same objects into one namespace": (
        replace(
            f"{APP}/overlays/prod/kustomization.yaml",
            "namespace: online-boutique\n",
            "namespace: online-boutique-dev\n",
        ),
        "GITOPS-SHARED-RESOURCE",
        f"{BASE}/frontend.yaml",
        "frontend",
    ),
    "network policy cuts checkout to email": (
        replace(
            f"{POLICIES}/checkoutservice.yaml",
            "app.kubernetes.io/name: emailservice\n      ports:\n        - protocol: TCP\n          port: 8080\n",
            # the Service port, where a policy needs the pod's
            "app.kubernetes.io/name: emailservice\n      ports:\n        - protocol: TCP\n          port: 5000\n",
        ),
        "NETPOL-CALL-BLOCKED",
        f"{BASE}/checkoutservice.yaml",
        "checkoutservice",
    ),
    "no default deny": (
        replace(f"{POLICIES}/kustomization.yaml", "  - default-deny.yaml\n", ""),
        "NETPOL-NO-DEFAULT-DENY",
        "gitops-repo/platform/namespaces/manifests/online-boutique.yaml",
        "online-boutique",
    ),
    "DNS not allowed": (
        replace(f"{POLICIES}/kustomization.yaml", "  - allow-dns.yaml\n", ""),
        "NETPOL-DNS-BLOCKED",
        f"{BASE}/frontend.yaml",
        "frontend",
    ),
    "pod no policy selects": (
        both(
            replace(f"{POLICIES}/kustomization.yaml", "  - default-deny.yaml\n  - allow-dns.yaml\n", ""),
            replace(f"{POLICIES}/kustomization.yaml", "  - redis-cart.yaml\n", ""),
        ),
        "NETPOL-POD-UNSELECTED",
        f"{BASE}/redis-cart.yaml",
        "redis-cart",
    ),
    "plaintext Secret committed": (
        COMMITTED_SECRET,
        "SECRET-PLAINTEXT",
        f"{APP}/overlays/dev/registry-credentials.yaml",
        "registry-credentials",
    ),
    "registry auth in a file": (
        COMMITTED_SECRET,
        "SECRET-IN-FILE",
        f"{APP}/overlays/dev/registry-credentials.yaml",
        "",
    ),
    "image from the platform's registry without a pull secret": (
        both(
            replace(DEV, "  - ../../components/registry-pull\n", ""),
            replace(
                DEV,
                "patches:\n",
                "images:\n  - name: us-central1-docker.pkg.dev/online-boutique-ci/microservices-demo/frontend\n"
                f"    newName: registry.local:5050/platform/app-repo/frontend\n    newTag: {'c' * 40}\npatches:\n",
            ),
        ),
        "IMAGE-PULL-SECRET",
        f"{BASE}/frontend.yaml",
        "frontend",
    ),
    "credential in a ConfigMap": (
        replace(
            DEV,
            "patches:\n",
            "configMapGenerator:\n  - name: smtp\n    literals: [SMTP_PASSWORD=hunter2hunter2]\npatches:\n",
        ),
        "SECRET-IN-CONFIGMAP",
        DEV,
        "smtp-",
    ),
    "credential in env": (
        replace(
            f"{BASE}/adservice.yaml",
            "            - name: PORT\n",
            "            - name: API_KEY\n              value: k3y-for-the-ad-network\n            - name: PORT\n",
        ),
        "SECRET-IN-ENV",
        f"{BASE}/adservice.yaml",
        "adservice",
    ),
    "Slack webhook in an annotation": (
        replace(
            f"{BASE}/frontend.yaml",
            "kind: Service\nmetadata:\n  name: frontend\n",
            lambda: f"kind: Service\nmetadata:\n  name: frontend\n  annotations:\n    alert-to: {slack_webhook()}\n",
        ),
        "SECRET-IN-ANNOTATION",
        f"{BASE}/frontend.yaml",
        "frontend",
    ),
    "Slack webhook in values": (
        write("observability/alertmanager-values.yaml", lambda: f"slack_api_url: {slack_webhook()}\n"),
        "SECRET-IN-FILE",
        "observability/alertmanager-values.yaml",
        "",
    ),
    "GitLab token in CI": (
        write(
            "app-repo/.gitlab-ci.yml", lambda: "variables:\n  GITOPS_TOKEN: " + "gl" + "pat-" + "Ab3dE6gH9jK2mN5pQ8sT\n"
        ),
        "SECRET-IN-FILE",
        "app-repo/.gitlab-ci.yml",
        "",
    ),
    "private key": (
        write("platform/keys/id_ed25519", lambda: "-----" + "BEGIN OPENSSH " + "PRIVATE KEY-----\nb3Bl\n"),
        "SECRET-IN-FILE",
        "platform/keys/id_ed25519",
        "",
    ),
    "kubeconfig": (
        write(
            "platform/admin.conf",
            lambda: (
                "apiVersion: v1\nkind: Config\nusers:\n  - name: admin\n    user:\n"
                "      client-key-data: " + base64.b64encode(b"k" * 48).decode() + "\n"
            ),
        ),
        "SECRET-IN-FILE",
        "platform/admin.conf",
        "",
    ),
    # GitOps: Applications and AppProjects
    "Application path that does not exist": (
        replace(
            f"{PLATFORM}/envoy-gateway/gateway-application.yaml", "envoy-gateway/gateway\n", "envoy-gateway/gateways\n"
        ),
        "GITOPS-SOURCE-PATH",
        f"{PLATFORM}/envoy-gateway/gateway-application.yaml",
        "platform-gateway",
    ),
    "chart version range": (
        replace(f"{PLATFORM}/metallb/application.yaml", "targetRevision: 0.16.1", 'targetRevision: ">=0.16"'),
        "GITOPS-CHART-VERSION",
        f"{PLATFORM}/metallb/application.yaml",
        "metallb",
    ),
    "default project": (
        replace(f"{APPLICATIONS}/prod.yaml", "project: apps", "project: default"),
        "GITOPS-PROJECT",
        f"{APPLICATIONS}/prod.yaml",
        "online-boutique-prod",
    ),
    "destination the project does not allow": (
        replace(f"{APPLICATIONS}/dev.yaml", "namespace: online-boutique-dev", "namespace: kube-system"),
        "GITOPS-DESTINATION-NOT-ALLOWED",
        f"{APPLICATIONS}/dev.yaml",
        "online-boutique-dev",
    ),
    "missing values file": (
        replace(f"{PLATFORM}/loki/application.yaml", "loki/values.yaml", "loki/value.yaml"),
        "GITOPS-VALUES-FILE",
        f"{PLATFORM}/loki/application.yaml",
        "loki",
    ),
    "custom resource field of the wrong type": (
        replace(
            f"{PLATFORM}/metallb/pool/ip-address-pool.yaml",
            "    - 192.168.1.240-192.168.1.250\n",
            '    - 192.168.1.240-192.168.1.250\n  autoAssign: "yes"\n',
        ),
        "SCHEMA-INVALID",
        f"{PLATFORM}/metallb/pool/ip-address-pool.yaml",
        "lan",
    ),
    "AppProject field of the wrong type in values": (
        replace(
            f"{PLATFORM}/argo-cd/values.yaml",
            "      orphanedResources:\n        warn: true\n",
            "      orphanedResources:\n        warn: always\n",
        ),
        "SCHEMA-INVALID",
        f"{PLATFORM}/argo-cd/values.yaml",
        "platform",
    ),
    "pool synced before MetalLB": (
        replace(f"{PLATFORM}/metallb/pool-application.yaml", 'sync-wave: "-4"', 'sync-wave: "-8"'),
        "GITOPS-SYNC-WAVE",
        f"{PLATFORM}/metallb/pool-application.yaml",
        "metallb-pool",
    ),
    "namespace that a prune would delete": (
        replace(
            f"{PLATFORM}/namespaces/manifests/kustomization.yaml",
            "commonAnnotations:\n  argocd.argoproj.io/sync-options: Prune=false,Delete=false\n",
            "",
        ),
        "GITOPS-PRUNE-PROTECTION",
        f"{PLATFORM}/namespaces/manifests/online-boutique.yaml",
        "online-boutique",
    ),
    "wildcard source in a project": (
        replace(
            f"{PLATFORM}/argo-cd/values.yaml",
            "own namespaces.\n      sourceRepos:\n        - https://gitlab.local/",
            "own namespaces.\n      sourceRepos:\n        - '*'\n        - https://gitlab.local/",
        ),
        "GITOPS-PROJECT-WILDCARD",
        f"{PLATFORM}/argo-cd/values.yaml",
        "apps",
    ),
    "Application without self-heal": (
        replace(f"{PLATFORM}/tempo/application.yaml", "selfHeal: true", "selfHeal: false"),
        "GITOPS-SYNC-POLICY",
        f"{PLATFORM}/tempo/application.yaml",
        "tempo",
    ),
    "HPA replicas not ignored": (
        replace(
            f"{APPLICATIONS}/prod.yaml", "      - RespectIgnoreDifferences=true\n", "      - CreateNamespace=false\n"
        ),
        "GITOPS-IGNORE-DIFFERENCES",
        f"{APPLICATIONS}/prod.yaml",
        "online-boutique-prod",
    ),
    "canary route weights not ignored": (
        replace(
            f"{APPLICATIONS}/prod.yaml",
            "        - /spec/rules/0/backendRefs/0/weight\n        - /spec/rules/0/backendRefs/1/weight\n",
            "        - /spec/hostnames\n",
        ),
        "GITOPS-ROLLOUT-ROUTE-OWNERSHIP",
        f"{APPLICATIONS}/prod.yaml",
        "online-boutique-prod",
    ),
    "canary plugin not loaded by the controller": (
        replace(f"{PLATFORM}/argo-rollouts/values.yaml", "- name: argoproj-labs/gatewayAPI", "- name: gatewayAPI"),
        "GITOPS-ROLLOUT-PLUGIN",
        f"{APP}/components/canary/rollout.yaml",
        "frontend",
    ),
    # observability
    "alert expression that does not parse": (
        replace(
            "observability/rules/argocd.yaml", 'health_status="Degraded"} == 1', 'health_status="Degraded"} == = 1'
        ),
        "OBS-PROMQL-INVALID",
        "observability/rules/argocd.yaml",
        "argocd",
    ),
    "dashboard query that does not parse": (
        replace(
            "observability/dashboards/argocd.json",
            "sum by (sync_status) (argocd_app_info)",
            "sum by (sync_status) (argocd_app_info",
        ),
        "OBS-DASHBOARD-PROMQL",
        "observability/dashboards/argocd.json",
        "dashboard-argocd",
    ),
    "two default datasources": (
        replace(f"{PLATFORM}/kube-prometheus-stack/values.yaml", "      isDefault: false\n", "      isDefault: true\n"),
        "OBS-DATASOURCE-DEFAULT",
        f"{PLATFORM}/kube-prometheus-stack/values.yaml",
        "",
    ),
    "alert without a runbook": (
        replace("observability/rules/watchdog.yaml", "docs/runbooks/Watchdog.md", "docs/runbooks/watchdog.md"),
        "OBS-ALERT-CONVENTIONS",
        "observability/rules/watchdog.yaml",
        "watchdog",
    ),
    "suppression without a reason": (
        replace(
            f"{BASE}/frontend.yaml",
            "kind: Deployment\nmetadata:\n  name: frontend\n",
            "kind: Deployment\nmetadata:\n  name: frontend\n  annotations:\n"
            '    gate.gitops-toolkit.io/suppress-SA-TOKEN-MOUNTED: ""\n',
        ),
        "GATE-SUPPRESSION-NO-REASON",
        f"{BASE}/frontend.yaml",
        "frontend",
    ),
}


@pytest.mark.parametrize("defect", sorted(PLANTED))
def test_a_planted_defect_fails_the_gate_on_its_resource(defect: str, repository_copy: Path) -> None:
    plant, rule, path, name = PLANTED[defect]
    plant(repository_copy)
    completed = invoke_validate(repository_copy, "--format", "json", timeout=60)
    assert completed.returncode == 1, completed.stderr
    assert "Traceback" not in completed.stderr
    findings = json.loads(completed.stdout)
    located = {(f["rule"], f["path"], f["name"]) for f in findings}
    assert any(  # a name ending in "-" is the prefix kustomize puts before a generated hash
        (found_rule, found_path) == (rule, path) and (found == name or (name.endswith("-") and found.startswith(name)))
        for found_rule, found_path, found in located
    ), sorted(located)
    assert not [f["message"] for f in findings if PYTHON_VALUES.search(f["message"])]  # messages read as YAML


PYTHON_VALUES = re.compile(r"\bNone\b|\['|\{'|\bTrue\b|\bFalse\b")
