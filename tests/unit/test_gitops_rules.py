"""GitOps rules: Argo CD objects that pass every rule (tests/fixtures/argocd.yaml), then one defect at a time."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from gitops_toolkit.core.bounded_yaml import load_yaml_text
from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.gate_settings import GateConfig
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.gate.rules.repository_facts import RepositoryFacts
from gitops_toolkit.gate.rules.rule_set import run_rules
from gitops_toolkit.render.applications import deployed_entries, is_application
from gitops_toolkit.render.rendered import MISSING, RENDERED
from tests.conftest import REPOSITORY

ARGOCD = (REPOSITORY / "tests" / "fixtures" / "argocd.yaml").read_text(encoding="utf-8")
URL = "https://git.example.org/platform.git"
WIDGETS = "gitops-repo/platform/widgets/manifests"
SHOP = "gitops-repo/apps/shop"


@dataclass
class Scene:
    """The Argo CD objects, what their Applications render, and what the checkout holds."""

    resources: list[Resource]
    path_status: dict[str, str] = field(default_factory=lambda: {WIDGETS: RENDERED, SHOP: RENDERED})
    existing_files: set[str] = field(default_factory=lambda: {"gitops-repo/platform/widgets/values.yaml"})

    def obj(self, kind: str, name: str) -> dict[str, Any]:
        return next(r.obj for r in self.resources if (r.kind, r.ref.name) == (kind, name))

    def findings(self) -> list[Finding]:
        owners: dict[str, tuple[str, ...]] = {}  # as gate/facts.py gathers them: which Application deploys what
        for application in filter(is_application, self.resources):
            for entry in deployed_entries(application, URL):
                owners[entry] = (*owners.get(entry, ()), application.ref.name)
        facts = RepositoryFacts(
            URL,
            self.path_status,
            frozenset(self.existing_files),
            {("example.org", "Widget"): "widget-crds"},
            owners=owners,
        )
        return run_rules(self.resources, GateConfig(repository_url=URL), repository=facts)


def rendered(obj: dict[str, Any], entry: str) -> Resource:
    return Resource(obj, entry, f"{entry}/resources.yaml", 1)


def scene() -> Scene:
    resources = [
        Resource(copy.deepcopy(d.data), "gitops-repo/root", "gitops-repo/root/argocd.yaml", d.line, d)
        for d in load_yaml_text(ARGOCD)
    ]
    resources.append(
        rendered(
            {"apiVersion": "example.org/v1", "kind": "Widget", "metadata": {"name": "blue", "namespace": "widgets"}},
            WIDGETS,
        )
    )
    resources.append(
        rendered(
            {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": {"name": "web", "namespace": "shop"},
                "spec": {
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                    "minReplicas": 2,
                    "maxReplicas": 4,
                },
            },
            SHOP,
        )
    )
    resources.append(
        rendered(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": "widgets",
                    "annotations": {"argocd.argoproj.io/sync-options": "Prune=false,Delete=false"},
                },
            },
            WIDGETS,
        )
    )
    return Scene(resources)


def gitops_findings(s: Scene) -> list[Finding]:
    return [f for f in s.findings() if f.rule.startswith("GITOPS-")]


def test_the_argo_cd_objects_pass_every_gitops_rule() -> None:
    assert gitops_findings(scene()) == []


def _duplicate(s: Scene) -> None:
    twin = copy.deepcopy(s.obj("Application", "shop"))
    s.resources.append(Resource(twin, "gitops-repo/other", "gitops-repo/other/shop.yaml", 1))


GITOPS_PLANTED: dict[str, tuple[Callable[[Scene], object], str, str]] = {
    "GITOPS-SYNC-WAVE-VALUE": (
        lambda s: s.obj("Application", "widget-operator")["metadata"]["annotations"].update(
            {"argocd.argoproj.io/sync-wave": " -5"}
        ),
        "Application",
        "widget-operator",
    ),
    "GITOPS-SYNC-OPTION": (
        lambda s: s.obj("Application", "widget-operator")["spec"]["syncPolicy"].update(
            syncOptions=["ServerSideApply=true", "PruneLasts=true"]
        ),
        "Application",
        "widget-operator",
    ),
    "SECRET-IN-APPLICATION": (
        lambda s: s.obj("Application", "widget-operator")["spec"]["sources"][0]["helm"].update(
            parameters=[{"name": "adminPassword", "value": "hunter2-but-longer"}],
            valuesObject={"auth": {"existingSecret": "widget-admin"}},
        ),
        "Application",
        "widget-operator",
    ),
    "GITOPS-DESTINATION-FORM": (
        lambda s: s.obj("Application", "widget-operator")["spec"]["destination"].update(name="in-cluster"),
        "Application",
        "widget-operator",
    ),
    "GITOPS-PROJECT": (lambda s: s.obj("Application", "shop")["spec"].update(project="default"), "Application", "shop"),
    "GITOPS-SOURCE-NOT-ALLOWED": (
        lambda s: s.obj("Application", "widget-operator")["spec"]["sources"][0].update(
            repoURL="https://charts.other.org"
        ),
        "Application",
        "widget-operator",
    ),
    "GITOPS-DESTINATION-NOT-ALLOWED": (
        lambda s: s.obj("Application", "shop")["spec"]["destination"].update(namespace="kube-system"),
        "Application",
        "shop",
    ),
    "GITOPS-SOURCE-PATH": (lambda s: s.path_status.update({WIDGETS: MISSING}), "Application", "widgets"),
    "GITOPS-VALUES-FILE": (lambda s: s.existing_files.clear(), "Application", "widget-operator"),
    "GITOPS-CHART-VERSION": (
        lambda s: s.obj("Application", "widget-operator")["spec"]["sources"][0].update(targetRevision="1.x"),
        "Application",
        "widget-operator",
    ),
    "GITOPS-REVISION": (
        lambda s: s.obj("Application", "widget-crds")["spec"]["source"].update(targetRevision="main"),
        "Application",
        "widget-crds",
    ),
    "GITOPS-PROJECT-WILDCARD": (
        lambda s: s.obj("AppProject", "apps")["spec"]["destinations"].append({"server": "*", "namespace": "*"}),
        "AppProject",
        "apps",
    ),
    "GITOPS-SYNC-WAVE": (
        lambda s: s.obj("Application", "widgets")["metadata"]["annotations"].update(
            {"argocd.argoproj.io/sync-wave": "-6"}
        ),
        "Application",
        "widgets",
    ),
    "GITOPS-APP-NAME": (_duplicate, "Application", "shop"),
    "GITOPS-PRUNE-PROTECTION": (
        lambda s: s.obj("Namespace", "widgets")["metadata"].pop("annotations"),
        "Namespace",
        "widgets",
    ),
    "GITOPS-SYNC-POLICY": (
        lambda s: s.obj("Application", "widgets")["spec"]["syncPolicy"]["automated"].update(selfHeal=False),
        "Application",
        "widgets",
    ),
    "GITOPS-RETIRED-COMPONENT": (
        lambda s: s.obj("Application", "widget-operator")["spec"]["sources"][0].update(chart="promtail"),
        "Application",
        "widget-operator",
    ),
    "GITOPS-IGNORE-DIFFERENCES": (
        lambda s: s.obj("Application", "shop")["spec"]["syncPolicy"].pop("syncOptions"),
        "Application",
        "shop",
    ),
}


@pytest.mark.parametrize("rule", sorted(GITOPS_PLANTED))
def test_a_planted_gitops_defect_is_reported_on_its_resource(rule: str) -> None:
    plant, kind, name = GITOPS_PLANTED[rule]
    s = scene()
    plant(s)
    reported = {(f.resource.kind, f.resource.name) for f in s.findings() if f.rule == rule}
    assert reported == {(kind, name)}


def test_a_missing_project_and_a_negated_source_are_refused() -> None:
    s = scene()
    s.obj("Application", "widgets")["spec"]["project"] = "tools"
    s.obj("AppProject", "apps")["spec"]["sourceRepos"] = [
        "https://git.example.org/*",
        "!https://git.example.org/platform.git",
    ]
    messages = {f.rule: f.message for f in s.findings()}
    assert "project `tools` is not rendered" in messages["GITOPS-PROJECT"]
    assert "is not in the sourceRepos of project apps" in messages["GITOPS-SOURCE-NOT-ALLOWED"]


def test_helm_values_that_only_name_a_secret_are_not_credentials() -> None:
    s = scene()
    GITOPS_PLANTED["SECRET-IN-APPLICATION"][0](s)
    found = [f for f in s.findings() if f.rule == "SECRET-IN-APPLICATION"]
    assert [f.message.split(";")[0] for f in found] == [
        "Helm value `adminPassword` is named like a credential and has a literal value"
    ]
