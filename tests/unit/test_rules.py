"""Stage 6: every rule has a passing fixture (tests/fixtures/shop.yaml, which passes every rule) and a
failing one (the same application with one defect planted), and reports on the planted resource."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from gitops_toolkit.core.bounded_yaml import load_yaml_text
from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.gate_settings import GateConfig
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.core.rule_catalog import RESOURCE_RULES
from gitops_toolkit.gate.rules import rule_set as rules
from gitops_toolkit.gate.rules.rule_set import run_rules
from tests.conftest import REPOSITORY
from tests.integration.test_chart_rules import PLANTED_IN_CHARTS
from tests.unit.test_capacity import CAPACITY_PLANTED
from tests.unit.test_gitops_rules import GITOPS_PLANTED
from tests.unit.test_observability_rules import OBS_PLANTED
from tests.unit.test_pull_secret_rule import PULL_PLANTED
from tests.unit.test_rbac_rules import RBAC_PLANTED
from tests.unit.test_rollout_rules import ROLLOUT_PLANTED
from tests.unit.test_unwatched_rule import UNWATCHED_PLANTED

SHOP = (REPOSITORY / "tests" / "fixtures" / "shop.yaml").read_text(encoding="utf-8")
CONFIG = GateConfig(allowed_registries=("registry.example.org/shop",))
Objects = dict[tuple[str, str], dict[str, Any]]
Plant = Callable[[Objects, list[Resource]], None]


def shop_resources(entry: str = "gitops-repo/shop") -> list[Resource]:
    return [
        Resource(copy.deepcopy(document.data), entry, f"{entry}/app.yaml", document.line, document)
        for document in load_yaml_text(SHOP)
    ]


def by_name(resources: list[Resource]) -> Objects:
    return {(r.kind, r.ref.name): r.obj for r in resources}


def container(objects: Objects, deployment: str) -> dict[str, Any]:
    return objects[("Deployment", deployment)]["spec"]["template"]["spec"]["containers"][0]


def pod(objects: Objects, deployment: str) -> dict[str, Any]:
    return objects[("Deployment", deployment)]["spec"]["template"]["spec"]


def remove(resources: list[Resource], kind: str, name: str) -> None:
    resources[:] = [r for r in resources if (r.kind, r.ref.name) != (kind, name)]


def findings_of(resources: list[Resource]) -> list[Finding]:
    return run_rules(resources, CONFIG)


def test_the_shop_passes_every_rule() -> None:
    assert findings_of(shop_resources()) == []


def _slack_webhook() -> str:  # built at run time so no credential-shaped text is committed
    return "https://hooks.slack.com/services/" + "/".join(["T0" + "A" * 8, "B0" + "B" * 8, "c" * 24])


PLANTED: dict[str, tuple[Plant, str, str]] = {
    "SEC-RUN-AS-ROOT": (lambda o, r: pod(o, "web")["securityContext"].update(runAsUser=0), "Deployment", "web"),
    "SEC-PRIVILEGE-ESCALATION": (
        lambda o, r: container(o, "api")["securityContext"].pop("allowPrivilegeEscalation"),
        "Deployment",
        "api",
    ),
    "SEC-PRIVILEGED": (
        lambda o, r: container(o, "api")["securityContext"].update(privileged=True),
        "Deployment",
        "api",
    ),
    "SEC-CAPABILITIES": (
        lambda o, r: container(o, "web")["securityContext"]["capabilities"].update(add=["SYS_ADMIN"]),
        "Deployment",
        "web",
    ),
    "SEC-SECCOMP": (
        lambda o, r: pod(o, "web")["securityContext"].update(seccompProfile={"type": "Unconfined"}),
        "Deployment",
        "web",
    ),
    "SEC-HOST-NAMESPACE": (lambda o, r: pod(o, "api").update(hostNetwork=True), "Deployment", "api"),
    "SEC-HOST-PATH": (
        lambda o, r: pod(o, "web")["volumes"].append(
            {"name": "runtime", "hostPath": {"path": "/run/containerd/containerd.sock"}}
        ),
        "Deployment",
        "web",
    ),
    "SEC-HOST-PORT": (lambda o, r: container(o, "api")["ports"][0].update(hostPort=9000), "Deployment", "api"),
    "SEC-WRITABLE-ROOT-FS": (
        lambda o, r: container(o, "web")["securityContext"].update(readOnlyRootFilesystem=False),
        "Deployment",
        "web",
    ),
    "RES-MISSING": (lambda o, r: container(o, "api")["resources"].pop("limits"), "Deployment", "api"),
    "PROBE-MISSING": (lambda o, r: container(o, "api").pop("readinessProbe"), "Deployment", "api"),
    "PROBE-PORT": (lambda o, r: container(o, "web")["livenessProbe"]["httpGet"].update(port=9090), "Deployment", "web"),
    "IMAGE-TAG": (
        lambda o, r: container(o, "api").update(image="registry.example.org/shop/api:latest"),
        "Deployment",
        "api",
    ),
    "IMAGE-REGISTRY": (
        lambda o, r: container(o, "web").update(image="docker.io/someone/web:1.4.2"),
        "Deployment",
        "web",
    ),
    "SA-MISSING": (lambda o, r: pod(o, "api").update(serviceAccountName="ghost"), "Deployment", "api"),
    "SA-TOKEN-MOUNTED": (lambda o, r: pod(o, "web").update(automountServiceAccountToken=True), "Deployment", "web"),
    "XREF-SERVICE-SELECTOR": (
        lambda o, r: o[("Service", "web")]["spec"].update(selector={"app": "wbe"}),
        "Service",
        "web",
    ),
    "XREF-SERVICE-PORT": (
        lambda o, r: o[("Service", "api")]["spec"]["ports"][0].update(targetPort="grcp"),
        "Service",
        "api",
    ),
    "XREF-ADDRESS": (lambda o, r: container(o, "web")["env"][0].update(value="api:9001"), "Deployment", "web"),
    "XREF-MISSING-REFERENCE": (
        lambda o, r: container(o, "web")["env"][1]["valueFrom"]["configMapKeyRef"].update(key="colour"),
        "Deployment",
        "web",
    ),
    "XREF-HPA-TARGET": (
        lambda o, r: o[("HorizontalPodAutoscaler", "web")]["spec"]["scaleTargetRef"].update(name="webb"),
        "HorizontalPodAutoscaler",
        "web",
    ),
    "XREF-HPA-REPLICAS": (lambda o, r: o[("Deployment", "web")]["spec"].update(replicas=3), "Deployment", "web"),
    "XREF-PDB-SELECTOR": (
        lambda o, r: o[("PodDisruptionBudget", "api")]["spec"].update(selector={"matchLabels": {"app": "apii"}}),
        "PodDisruptionBudget",
        "api",
    ),
    "XREF-PDB-BLOCKS-DRAIN": (
        lambda o, r: o[("PodDisruptionBudget", "api")]["spec"].update(minAvailable=2),
        "PodDisruptionBudget",
        "api",
    ),
    "XREF-DUPLICATE-ENV": (
        lambda o, r: container(o, "web")["env"].append({"name": "API_ADDR", "value": "api:9000"}),
        "Deployment",
        "web",
    ),
    "XREF-DUPLICATE-RESOURCE": (
        lambda o, r: r.append(next(x for x in shop_resources("gitops-repo/other") if x.kind == "ConfigMap")),
        "ConfigMap",
        "settings",
    ),
    "NETPOL-NO-DEFAULT-DENY": (lambda o, r: remove(r, "NetworkPolicy", "default-deny"), "Namespace", "shop"),
    "NETPOL-POD-UNSELECTED": (
        lambda o, r: [remove(r, "NetworkPolicy", name) for name in ("default-deny", "allow-dns", "api")],
        "Deployment",
        "api",
    ),
    "NETPOL-CALL-BLOCKED": (
        lambda o, r: o[("NetworkPolicy", "api")]["spec"]["ingress"][0]["ports"][0].update(port=9001),
        "Deployment",
        "web",
    ),
    "NETPOL-DNS-BLOCKED": (
        lambda o, r: o[("NetworkPolicy", "allow-dns")]["spec"].update(podSelector={"matchLabels": {"app": "web"}}),
        "Deployment",
        "api",
    ),
    "SECRET-IN-CONFIGMAP": (
        lambda o, r: o[("ConfigMap", "settings")]["data"].update(password="hunter2-hunter2"),
        "ConfigMap",
        "settings",
    ),
    "SECRET-IN-ENV": (
        lambda o, r: container(o, "api")["env"].append({"name": "DB_PASSWORD", "value": "s3cr3t-value"}),
        "Deployment",
        "api",
    ),
    "SECRET-IN-ANNOTATION": (
        lambda o, r: o[("Service", "web")]["metadata"].update(annotations={"notify": _slack_webhook()}),
        "Service",
        "web",
    ),
    "SEC-APPARMOR": (
        lambda o, r: container(o, "web")["securityContext"].update(appArmorProfile={"type": "Unconfined"}),
        "Deployment",
        "web",
    ),
    "SEC-SELINUX": (
        lambda o, r: pod(o, "api")["securityContext"].update(seLinuxOptions={"type": "spc_t"}),
        "Deployment",
        "api",
    ),
    "SEC-SYSCTL": (
        lambda o, r: pod(o, "api")["securityContext"].update(sysctls=[{"name": "kernel.msgmax", "value": "65536"}]),
        "Deployment",
        "api",
    ),
    "SEC-PROC-MOUNT": (
        lambda o, r: container(o, "api")["securityContext"].update(procMount="Unmasked"),
        "Deployment",
        "api",
    ),
    "SEC-HOST-PROCESS": (
        lambda o, r: pod(o, "web")["securityContext"].update(windowsOptions={"hostProcess": True}),
        "Deployment",
        "web",
    ),
    "SEC-PROBE-HOST": (
        lambda o, r: container(o, "web")["readinessProbe"].setdefault("httpGet", {}).update(host="169.254.169.254"),
        "Deployment",
        "web",
    ),
    "SEC-VOLUME-TYPE": (
        lambda o, r: pod(o, "web")["volumes"].append({"name": "share", "nfs": {"server": "nas", "path": "/x"}}),
        "Deployment",
        "web",
    ),
    "SEC-SERVICE-TYPE": (lambda o, r: o[("Service", "web")]["spec"].update(type="NodePort"), "Service", "web"),
}


def test_every_resource_rule_has_a_planted_defect() -> None:
    planted = [
        PLANTED,
        GITOPS_PLANTED,
        OBS_PLANTED,
        PLANTED_IN_CHARTS,
        RBAC_PLANTED,
        CAPACITY_PLANTED,
        UNWATCHED_PLANTED,
        PULL_PLANTED,
        ROLLOUT_PLANTED,
    ]
    assert set().union(*planted) >= set(RESOURCE_RULES)


@pytest.mark.parametrize("rule", sorted(PLANTED))
def test_a_planted_defect_is_reported_on_its_resource(rule: str) -> None:
    plant, kind, name = PLANTED[rule]
    resources = shop_resources()
    plant(by_name(resources), resources)
    reported = {(f.resource.kind, f.resource.name) for f in findings_of(resources) if f.rule == rule}
    assert reported == {(kind, name)}


def test_a_finding_points_at_the_planted_line() -> None:
    resources = shop_resources()
    container(by_name(resources), "web")["securityContext"]["readOnlyRootFilesystem"] = False
    [finding] = [f for f in findings_of(resources) if f.rule == "SEC-WRITABLE-ROOT-FS"]
    assert SHOP.splitlines()[finding.line - 1].strip() == "readOnlyRootFilesystem: true"  # the field itself
    assert finding.path == "gitops-repo/shop/app.yaml"
    assert "readOnlyRootFilesystem: true" in finding.message


def test_values_that_only_look_like_credentials_or_addresses_pass() -> None:
    resources = shop_resources()
    objects = by_name(resources)
    container(objects, "web")["env"] += [
        {"name": "ENABLE_AUTH", "value": "true"},
        {"name": "TOKEN_FILE", "value": "/var/run/secrets/token"},
        {"name": "MAINTENANCE_WINDOW", "value": "23:30"},
        {"name": "METRICS_ADDR", "value": "0.0.0.0:9090"},
    ]
    objects[("Service", "web")]["metadata"]["annotations"] = {"example.org/auth-secret": "basic-auth"}
    assert findings_of(resources) == []


def test_generated_secret_with_data_is_plaintext() -> None:
    generated = Resource(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "creds", "namespace": "shop"},
            "data": {"token": "c2VjcmV0"},
        },
        "gitops-repo/shop",
        "gitops-repo/shop/kustomization.yaml",
        3,
    )
    [finding] = findings_of([*shop_resources(), generated])
    assert (finding.rule, finding.path, finding.line) == ("SECRET-PLAINTEXT", "gitops-repo/shop/kustomization.yaml", 3)


def test_network_policy_call_names_both_ends() -> None:
    resources = shop_resources()
    by_name(resources)[("NetworkPolicy", "web")]["spec"]["egress"] = []
    [finding] = [f for f in findings_of(resources) if f.rule == "NETPOL-CALL-BLOCKED"]
    assert "web calls api.shop (API_ADDR=api:9000, pod port TCP 9000)" in finding.message
    assert "egress from web" in finding.message


def suppress(resources: list[Resource], kind: str, name: str, rule: str, reason: str) -> None:
    obj = by_name(resources)[(kind, name)]
    obj["metadata"].setdefault("annotations", {})[f"gate.gitops-toolkit.io/suppress-{rule}"] = reason


def test_a_suppression_silences_one_rule_on_one_resource_and_is_listed() -> None:
    resources = shop_resources()
    objects = by_name(resources)
    for deployment in ("web", "api"):
        pod(objects, deployment)["automountServiceAccountToken"] = True
    suppress(resources, "Deployment", "web", "SA-TOKEN-MOUNTED", "reloads its settings through the API")
    findings = findings_of(resources)
    assert {(f.rule, f.resource.name) for f in findings} == {("SA-TOKEN-MOUNTED", "api"), ("GATE-SUPPRESSED", "web")}
    [listed] = [f for f in findings if f.rule == "GATE-SUPPRESSED"]
    assert listed.message == "SA-TOKEN-MOUNTED suppressed: reloads its settings through the API"


def test_a_suppression_without_reason_is_a_finding_and_silences_nothing() -> None:
    resources = shop_resources()
    pod(by_name(resources), "web")["automountServiceAccountToken"] = True
    suppress(resources, "Deployment", "web", "SA-TOKEN-MOUNTED", " ")
    assert {f.rule for f in findings_of(resources)} == {"SA-TOKEN-MOUNTED", "GATE-SUPPRESSION-NO-REASON"}


def test_a_suppression_of_an_unknown_or_unsuppressible_rule_is_reported() -> None:
    resources = shop_resources()
    suppress(resources, "Deployment", "web", "SCHEMA-INVALID", "schema errors cannot be waived")
    suppress(resources, "Deployment", "api", "NO-SUCH-RULE", "typo")
    findings = findings_of(resources)
    assert [(f.rule, f.resource.name) for f in findings] == [
        ("GATE-SUPPRESSION-INVALID", "web"),
        ("GATE-SUPPRESSION-INVALID", "api"),
    ]


def test_resources_that_broke_their_schema_are_looked_up_but_not_checked() -> None:
    resources = shop_resources()
    broken = next(r for r in resources if (r.kind, r.ref.name) == ("Deployment", "api"))
    pod(by_name(resources), "api")["hostNetwork"] = True
    assert run_rules(resources, CONFIG, broken=[broken]) == []  # no rule on it, and its Service still has pods


def test_a_rule_that_raises_is_a_finding_and_the_other_rules_still_report(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_rule(index: object) -> Iterator[Finding]:
        raise KeyError("surprise")

    monkeypatch.setattr(rules, "RULE_FUNCTIONS", (broken_rule, *rules.RULE_FUNCTIONS))
    resources = shop_resources()
    container(by_name(resources), "web")["securityContext"]["readOnlyRootFilesystem"] = False
    found = {(f.rule, f.path) for f in findings_of(resources)}
    assert ("GATE-CHECK-FAILED", "tests/unit/test_rules.py") in found
    assert ("SEC-WRITABLE-ROOT-FS", "gitops-repo/shop/app.yaml") in found


def test_a_container_overriding_the_pods_run_as_non_root_is_reported_at_its_field() -> None:
    resources = shop_resources()
    pod(by_name(resources), "web")["initContainers"] = [
        {"name": "setup", "image": "registry.example.org/shop/setup:1.0.0", "securityContext": {"runAsNonRoot": False}}
    ]
    found = [f for f in findings_of(resources) if f.rule == "SEC-RUN-AS-ROOT"]
    assert [f.message for f in found] == [
        "init container `setup` sets runAsNonRoot: false, overriding the pod's true; remove it"
    ]


def test_a_replication_controller_gets_every_workload_rule() -> None:
    resources = shop_resources()
    web = by_name(resources)[("Deployment", "web")]
    controller = {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {"name": "legacy", "namespace": "shop"},
        "spec": {"selector": {"app": "legacy"}, "template": copy.deepcopy(web["spec"]["template"])},
    }
    controller["spec"]["template"]["spec"]["hostNetwork"] = True
    resources.append(Resource(controller, "gitops-repo/shop", "gitops-repo/shop/legacy.yaml", 1, None))
    assert ("SEC-HOST-NAMESPACE", "legacy") in {(f.rule, f.resource.name) for f in findings_of(resources)}


@pytest.mark.parametrize(("min_available", "blocks"), [("50%", False), ("60%", True), ("100%", True), (1, False)])
def test_a_percentage_budget_is_scaled_as_the_disruption_controller_scales_it(
    min_available: object, blocks: bool
) -> None:
    resources = shop_resources()  # the api Deployment runs 2 replicas
    by_name(resources)[("PodDisruptionBudget", "api")]["spec"]["minAvailable"] = min_available
    found = [f for f in findings_of(resources) if f.rule == "XREF-PDB-BLOCKS-DRAIN"]
    assert bool(found) is blocks


def test_addresses_supplied_through_env_from_are_checked() -> None:
    resources = shop_resources()
    objects = by_name(resources)
    objects[("ConfigMap", "settings")]["data"]["CART_ADDR"] = "cart:7070"  # no Service named cart
    container(objects, "web")["envFrom"] = [{"configMapRef": {"name": "settings"}}]
    found = [f for f in findings_of(resources) if f.rule == "XREF-ADDRESS"]
    assert [(f.resource.name, f.message.split(":")[0]) for f in found] == [("web", "CART_ADDR=cart")]


@pytest.mark.parametrize("host_network", [True, False])
def test_network_policies_govern_pods_on_the_pod_network_only(host_network: bool) -> None:
    """A pod on its host's network is outside NetworkPolicy (and resolves names through the host)."""
    resources = shop_resources()
    web = copy.deepcopy(by_name(resources)[("Deployment", "web")])
    web["metadata"] = {"name": "node-agent", "namespace": "agents"}
    web["spec"]["template"]["spec"]["hostNetwork"] = host_network
    resources.append(Resource(web, "gitops-repo/shop", "gitops-repo/shop/agent.yaml", 1))
    rules = {f.rule for f in findings_of(resources) if f.rule.startswith("NETPOL-")}
    expected = set() if host_network else {"NETPOL-NO-DEFAULT-DENY", "NETPOL-POD-UNSELECTED"}
    assert rules == expected
