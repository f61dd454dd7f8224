"""GitOps rules on Argo CD Applications as Argo CD would judge them, before merge: their sources (paths that
render, values files that exist, pinned versions), their destination, names and sync policy, what they must
ignore, and what is retired (Argo CD's best-practice guides; see docs/rules.md)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.object_paths import get_path
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.gate.rules.index import ResourceIndex
from gitops_toolkit.render.applications import VALUES_PREFIX, deployed_entries, is_application, same_repository, sources
from gitops_toolkit.render.rendered import HELM_CHART, REMOTE, RENDERED

_EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
# Components that get no fixes any more, and what replaces them (facts/ecosystem.md).
RETIRED = {
    "ingress-nginx": "Ingress-NGINX was retired in March 2026; use Envoy Gateway (Gateway API)",
    "promtail": "Promtail reached end of life in March 2026; use Grafana Alloy",
    "loki-stack": "loki-stack is deprecated; use the loki chart (monolithic) with Grafana Alloy",
    "nfs-subdir-external-provisioner": "nfs-subdir-external-provisioner is unmaintained; use csi-driver-nfs",
}


def argo_applications(index: ResourceIndex) -> list[Resource]:
    return [resource for resource in index.resources if is_application(resource)]


def _relative(path: str) -> str:
    return posixpath.normpath(path.strip("/"))


def check_source_paths(index: ResourceIndex) -> Iterator[Finding]:
    facts = index.repository
    for application in argo_applications(index):
        for source in sources(application):
            if not same_repository(source.repo_url, facts.url) or source.chart:
                continue
            if not source.path and not source.body.get("ref"):
                yield application.finding(
                    "GITOPS-SOURCE-PATH",
                    "a source of this repository names no path; set `path`",
                    source.path_in_manifest,
                )
            elif source.path:
                status = facts.path_status.get(_relative(source.path), RENDERED)
                if status not in (RENDERED, HELM_CHART, REMOTE):
                    yield application.finding(
                        "GITOPS-SOURCE-PATH",
                        f"path {source.path} {status}; Argo CD would fail to sync this Application",
                        (*source.path_in_manifest, "path"),
                    )


def check_values_files(index: ResourceIndex) -> Iterator[Finding]:
    facts = index.repository
    for application in argo_applications(index):
        application_sources = list(sources(application))
        has_values_ref = any(
            s.body.get("ref") == "values" and same_repository(s.repo_url, facts.url) for s in application_sources
        )
        for source in application_sources:
            for position, value_file in enumerate(source.value_files()):
                where = (*source.path_in_manifest, "helm", "valueFiles", position)
                if not value_file.startswith(VALUES_PREFIX):
                    continue
                if not has_values_ref:
                    yield application.finding(
                        "GITOPS-VALUES-FILE",
                        f"{value_file} needs a source of this repository with `ref: values`; add it",
                        where,
                    )
                elif _relative(value_file.removeprefix(VALUES_PREFIX)) not in facts.existing_files:
                    yield application.finding(
                        "GITOPS-VALUES-FILE",
                        f"values file {value_file.removeprefix(VALUES_PREFIX)} does not exist; fix the path or add it",
                        where,
                    )


def check_chart_versions(index: ResourceIndex) -> Iterator[Finding]:
    for application in argo_applications(index):
        for source in sources(application):
            if source.chart and not _EXACT_VERSION.match(source.revision):
                yield application.finding(
                    "GITOPS-CHART-VERSION",
                    f"chart {source.chart} version `{source.revision or '(none)'}` is not exact; pin one release "
                    "(no *, ranges or latest) so every sync installs what was reviewed",
                    (*source.path_in_manifest, "targetRevision"),
                )


def check_external_revisions(index: ResourceIndex) -> Iterator[Finding]:
    for application in argo_applications(index):
        for source in sources(application):
            ours = same_repository(source.repo_url, index.repository.url)
            if source.chart or ours:
                continue
            if not (_EXACT_VERSION.match(source.revision) or _COMMIT.match(source.revision)):
                yield application.finding(
                    "GITOPS-REVISION",
                    f"{source.repo_url} is followed at `{source.revision or 'HEAD'}`, which moves; pin a release tag "
                    "or a commit",
                    (*source.path_in_manifest, "targetRevision"),
                )


def check_destination_form(index: ResourceIndex) -> Iterator[Finding]:
    for application in argo_applications(index):
        destination = get_path(application.obj, ("spec", "destination")) or {}
        if isinstance(destination, dict) and destination.get("server") and destination.get("name"):
            yield application.finding(
                "GITOPS-DESTINATION-FORM",
                "the destination names both `server` and `name`; Argo CD refuses the Application: keep one",
                ("spec", "destination", "name"),
            )


def check_application_names(index: ResourceIndex) -> Iterator[Finding]:
    seen: dict[str, Resource] = {}
    for application in argo_applications(index):
        first = seen.setdefault(application.ref.name, application)
        if first is not application:
            yield application.finding(
                "GITOPS-APP-NAME",
                f"Application name {application.ref.name} is also used in {first.path}; Argo CD keeps one: rename one",
                ("metadata", "name"),
            )


def check_sync_policies(index: ResourceIndex) -> Iterator[Finding]:
    for application in argo_applications(index):
        policy = get_path(application.obj, ("spec", "syncPolicy")) or {}
        automated = policy.get("automated")
        problems = []
        if not isinstance(automated, dict) or automated.get("enabled") is False:
            problems.append("automated sync")
        else:
            problems += [f"automated.{key}: true" for key in ("prune", "selfHeal") if automated.get(key) is not True]
        retry = policy.get("retry") or {}
        if not retry.get("limit") or not isinstance(retry.get("backoff"), dict):
            problems.append("retry with a limit and a backoff")
        if problems:
            yield application.finding(
                "GITOPS-SYNC-POLICY",
                f"syncPolicy lacks {', '.join(problems)}; the cluster would drift from git or give up on the first "
                "transient failure",
                ("spec", "syncPolicy"),
            )


def ignores_replicas(application: Resource, kind: str, name: str) -> bool:
    """Whether the Application's ignoreDifferences cover /spec/replicas of that object."""
    for rule in get_path(application.obj, ("spec", "ignoreDifferences")) or []:
        if not isinstance(rule, dict) or rule.get("kind") != kind or rule.get("name", name) != name:
            continue
        if "/spec/replicas" in (rule.get("jsonPointers") or []) or ".spec.replicas" in (
            rule.get("jqPathExpressions") or []
        ):
            return True
    return False


def check_ignored_replicas(index: ResourceIndex) -> Iterator[Finding]:
    """An HPA owns spec.replicas of its target: the Application must ignore that field, and respect it."""
    for application in argo_applications(index):
        entries = deployed_entries(application, index.repository.url)
        options = get_path(application.obj, ("spec", "syncPolicy", "syncOptions")) or []
        for hpa in index.of_kind("HorizontalPodAutoscaler"):
            if hpa.entry not in entries:
                continue
            target = get_path(hpa.obj, ("spec", "scaleTargetRef")) or {}
            kind, name = str(target.get("kind")), str(target.get("name"))
            if not ignores_replicas(application, kind, name) or "RespectIgnoreDifferences=true" not in options:
                yield application.finding(
                    "GITOPS-IGNORE-DIFFERENCES",
                    f"HorizontalPodAutoscaler {hpa.ref.name} scales {kind} {name}: add ignoreDifferences for its "
                    "/spec/replicas and the sync option RespectIgnoreDifferences=true",
                    ("spec",),
                )


def check_retired_components(index: ResourceIndex) -> Iterator[Finding]:
    for application in argo_applications(index):
        for source in sources(application):
            name = source.chart or source.path.rstrip("/").rsplit("/", 1)[-1]
            if name in RETIRED:
                yield application.finding(
                    "GITOPS-RETIRED-COMPONENT", f"deploys {name}: {RETIRED[name]}", (*source.path_in_manifest,)
                )
    for pod, container in index.containers():
        image = str(container.body.get("image", ""))
        retired = next((name for name in RETIRED if f"/{name}" in image or image.startswith(f"{name}:")), None)
        if retired:
            yield pod.resource.finding(
                "GITOPS-RETIRED-COMPONENT", f"image {image}: {RETIRED[retired]}", (*container.path, "image")
            )
