"""GitOps rules: Argo CD Applications and AppProjects as Argo CD would judge them, before merge (Argo CD's
projects, sync-options, sync-waves and best-practice guides; see docs/rules.md)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import Any

import yaml

from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.gate.rules.index import ResourceIndex, get_path
from gitops_toolkit.gate.schema.kubernetes_schemas import split_api_version
from gitops_toolkit.render.applications import (
    VALUES_PREFIX,
    deployed_entries,
    is_application,
    same_repository,
    sources,
)
from gitops_toolkit.render.rendered import HELM_CHART, RENDERED

_EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
_WAVE = "argocd.argoproj.io/sync-wave"
_PROTECTED_KINDS = ("Namespace", "PersistentVolumeClaim")
# Components that get no fixes any more, and what replaces them (facts/ecosystem.md).
RETIRED = {
    "ingress-nginx": "Ingress-NGINX was retired in March 2026; use Envoy Gateway (Gateway API)",
    "promtail": "Promtail reached end of life in March 2026; use Grafana Alloy",
    "loki-stack": "loki-stack is deprecated; use the loki chart (monolithic) with Grafana Alloy",
    "nfs-subdir-external-provisioner": "nfs-subdir-external-provisioner is unmaintained; use csi-driver-nfs",
}


def _applications(index: ResourceIndex) -> list[Resource]:
    return [resource for resource in index.resources if is_application(resource)]


def _project(index: ResourceIndex, application: Resource) -> Resource | None:
    name = str(get_path(application.obj, ("spec", "project")) or "")
    for project in index.of_kind("AppProject"):
        if project.ref.name == name and project.ref.namespace == application.ref.namespace:
            return project
    return None


def _matches(patterns: list[Any], value: str) -> bool:
    """Argo CD's allow/deny globs: allowed when some pattern matches and no `!pattern` does."""
    allowed = any(fnmatchcase(value, str(p)) for p in patterns if not str(p).startswith("!"))
    denied = any(fnmatchcase(value, str(p)[1:]) for p in patterns if str(p).startswith("!"))
    return allowed and not denied


def check_projects(index: ResourceIndex) -> Iterator[Finding]:
    for application in _applications(index):
        name = str(get_path(application.obj, ("spec", "project")) or "")
        if name in ("", "default"):
            yield application.finding(
                "GITOPS-PROJECT",
                "uses the `default` project, which may deploy anything anywhere; use the platform or apps project",
                ("spec", "project"),
            )
        elif _project(index, application) is None:
            yield application.finding(
                "GITOPS-PROJECT",
                f"project `{name}` is not rendered in namespace {application.ref.namespace}; Argo CD would refuse "
                "the Application: fix the name or add the AppProject",
                ("spec", "project"),
            )


def check_sources_allowed(index: ResourceIndex) -> Iterator[Finding]:
    for application in _applications(index):
        project = _project(index, application)
        if project is None:
            continue
        allowed = get_path(project.obj, ("spec", "sourceRepos")) or []
        for source in sources(application):
            if not _matches(allowed, source.repo_url):
                yield application.finding(
                    "GITOPS-SOURCE-NOT-ALLOWED",
                    f"source {source.repo_url} is not in the sourceRepos of project {project.ref.name}; add it to the "
                    "project or change the source",
                    (*source.path_in_manifest, "repoURL"),
                )


def check_destination_allowed(index: ResourceIndex) -> Iterator[Finding]:
    for application in _applications(index):
        project = _project(index, application)
        if project is None:
            continue
        destination = get_path(application.obj, ("spec", "destination")) or {}
        server, name = str(destination.get("server", "")), str(destination.get("name", ""))
        namespace = str(destination.get("namespace", ""))
        allowed = [d for d in get_path(project.obj, ("spec", "destinations")) or [] if isinstance(d, dict)]
        if not any(
            (
                (server and fnmatchcase(server, str(d.get("server", ""))))
                or (name and fnmatchcase(name, str(d.get("name", ""))))
            )
            and fnmatchcase(namespace, str(d.get("namespace", "")))
            for d in allowed
        ):
            yield application.finding(
                "GITOPS-DESTINATION-NOT-ALLOWED",
                f"destination {server or name} namespace `{namespace}` is not among the destinations of project "
                f"{project.ref.name}; deploy where the project allows, or extend the project deliberately",
                ("spec", "destination"),
            )


def _relative(path: str) -> str:
    return posixpath.normpath(path.strip("/"))


def check_source_paths(index: ResourceIndex) -> Iterator[Finding]:
    facts = index.repository
    for application in _applications(index):
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
                if status not in (RENDERED, HELM_CHART):
                    yield application.finding(
                        "GITOPS-SOURCE-PATH",
                        f"path {source.path} {status}; Argo CD would fail to sync this Application",
                        (*source.path_in_manifest, "path"),
                    )


def check_values_files(index: ResourceIndex) -> Iterator[Finding]:
    facts = index.repository
    for application in _applications(index):
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
    for application in _applications(index):
        for source in sources(application):
            if source.chart and not _EXACT_VERSION.match(source.revision):
                yield application.finding(
                    "GITOPS-CHART-VERSION",
                    f"chart {source.chart} version `{source.revision or '(none)'}` is not exact; pin one release "
                    "(no *, ranges or latest) so every sync installs what was reviewed",
                    (*source.path_in_manifest, "targetRevision"),
                )


def check_external_revisions(index: ResourceIndex) -> Iterator[Finding]:
    for application in _applications(index):
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


def check_project_wildcards(index: ResourceIndex) -> Iterator[Finding]:
    for project in index.of_kind("AppProject"):
        spec = project.obj.get("spec") or {}
        for position, repo in enumerate(spec.get("sourceRepos") or []):
            if "*" in str(repo):
                yield project.finding(
                    "GITOPS-PROJECT-WILDCARD",
                    f"sourceRepos entry `{repo}` is a wildcard; list each repository",
                    ("spec", "sourceRepos", position),
                )
        for position, destination in enumerate(spec.get("destinations") or []):
            for field in ("server", "name", "namespace"):
                if "*" in str((destination or {}).get(field, "")):
                    yield project.finding(
                        "GITOPS-PROJECT-WILDCARD",
                        f"destination {field} `{destination[field]}` is a wildcard; list each destination",
                        ("spec", "destinations", position, field),
                    )
        for position, kind in enumerate(spec.get("clusterResourceWhitelist") or []):
            if "*" in f"{(kind or {}).get('group', '')}/{(kind or {}).get('kind', '')}":
                yield project.finding(
                    "GITOPS-PROJECT-WILDCARD",
                    "clusterResourceWhitelist has a wildcard; name each cluster-scoped kind the project may create",
                    ("spec", "clusterResourceWhitelist", position),
                )


# Argo CD reads a wave with Go's strconv.Atoi: an optional sign and ASCII digits, nothing else (no spaces,
# no "1.0", no "٣"); whatever it cannot read is wave 0.
_ATOI = re.compile(r"[+-]?[0-9]{1,18}")


def _wave(resource: Resource) -> int:
    value = resource.annotation(_WAVE)
    return int(value) if value is not None and _ATOI.fullmatch(value) else 0


# Sync options Argo CD 3.5 knows, with the values it acts on (None: any value).
_SYNC_OPTION_VALUES: dict[str, set[str] | None] = {
    "Prune": {"false", "confirm"},
    "Delete": {"false", "confirm"},
    "Validate": {"false", "true"},
    "SkipDryRunOnMissingResource": {"true"},
    "Replace": {"true", "false"},
    "Force": {"true"},
    "ServerSideApply": {"true", "false"},
    "ClientSideApplyMigration": {"true", "false"},
    "PruneLast": {"true"},
    "CreateNamespace": {"true"},
    "ApplyOutOfSyncOnly": {"true"},
    "RespectIgnoreDifferences": {"true"},
    "FailOnSharedResource": {"true"},
    "PrunePropagationPolicy": {"foreground", "background", "orphan"},
}


def check_sync_wave_values(index: ResourceIndex) -> Iterator[Finding]:
    for resource in index.resources:
        value = resource.annotation(_WAVE)
        if value is not None and not _ATOI.fullmatch(value):
            yield resource.finding(
                "GITOPS-SYNC-WAVE-VALUE",
                f"Argo CD cannot read {_WAVE} `{value}` as an integer and syncs this in wave 0; write a plain "
                'integer such as "-5"',
                ("metadata", "annotations", _WAVE),
            )


def _unknown_options(options: list[str]) -> Iterator[tuple[int, str]]:
    for position, option in enumerate(options):
        key, _, value = option.strip().partition("=")
        allowed = _SYNC_OPTION_VALUES.get(key, set())
        if key not in _SYNC_OPTION_VALUES or (allowed is not None and value not in allowed):
            yield position, option


def check_sync_options(index: ResourceIndex) -> Iterator[Finding]:
    known = ", ".join(sorted(_SYNC_OPTION_VALUES))
    for resource in index.resources:
        annotation = resource.annotation(_SYNC_OPTIONS)
        for _, option in _unknown_options(annotation.split(",") if annotation else []):
            yield resource.finding(
                "GITOPS-SYNC-OPTION",
                f"Argo CD ignores the sync option `{option.strip()}`; the options it knows are {known}",
                ("metadata", "annotations", _SYNC_OPTIONS),
            )
    for application in _applications(index):
        options = get_path(application.obj, ("spec", "syncPolicy", "syncOptions"))
        for position, option in _unknown_options([str(o) for o in options] if isinstance(options, list) else []):
            yield application.finding(
                "GITOPS-SYNC-OPTION",
                f"Argo CD ignores the sync option `{option}`; the options it knows are {known}",
                ("spec", "syncPolicy", "syncOptions", position),
            )


def check_destination_form(index: ResourceIndex) -> Iterator[Finding]:
    for application in _applications(index):
        destination = get_path(application.obj, ("spec", "destination")) or {}
        if isinstance(destination, dict) and destination.get("server") and destination.get("name"):
            yield application.finding(
                "GITOPS-DESTINATION-FORM",
                "the destination names both `server` and `name`; Argo CD refuses the Application: keep one",
                ("spec", "destination", "name"),
            )


def check_sync_waves(index: ResourceIndex) -> Iterator[Finding]:
    facts = index.repository
    applications = {application.ref.name: application for application in _applications(index)}
    for application in applications.values():
        entries = deployed_entries(application, facts.url)
        needed: dict[str, str] = {}
        for resource in index.resources:
            # A chart template that waits for its API (Capabilities) appears on the refresh after that API exists.
            if resource.entry in entries and not resource.rendered_when_served:
                group, _ = split_api_version(resource.api_version)
                provider = facts.providers.get((group, resource.kind))
                if provider and provider != application.ref.name and provider in applications:
                    needed.setdefault(provider, resource.kind)
        for provider, kind in sorted(needed.items()):
            if _wave(application) <= _wave(applications[provider]):
                yield application.finding(
                    "GITOPS-SYNC-WAVE",
                    f"deploys {kind}, whose CRD Application {provider} installs in wave "
                    f"{_wave(applications[provider])}, but syncs in wave {_wave(application)}; give it a later {_WAVE}",
                    ("metadata", "annotations", _WAVE) if application.annotation(_WAVE) else ("metadata",),
                )


def check_application_names(index: ResourceIndex) -> Iterator[Finding]:
    seen: dict[str, Resource] = {}
    for application in _applications(index):
        first = seen.setdefault(application.ref.name, application)
        if first is not application:
            yield application.finding(
                "GITOPS-APP-NAME",
                f"Application name {application.ref.name} is also used in {first.path}; Argo CD keeps one: rename one",
                ("metadata", "name"),
            )


def check_prune_protection(index: ResourceIndex) -> Iterator[Finding]:
    for resource in index.of_kind(*_PROTECTED_KINDS):
        options = {option.strip() for option in (resource.annotation(_SYNC_OPTIONS) or "").split(",")}
        missing = [
            option
            for option in ("Prune=false", "Delete=false")
            if option not in options and not (option == "Delete=false" and "Delete=confirm" in options)
        ]
        if missing:
            yield resource.finding(
                "GITOPS-PRUNE-PROTECTION",
                f"a {resource.kind} holds data or everything in it; annotate {_SYNC_OPTIONS}: "
                f'"{",".join(["Prune=false", "Delete=false"])}" so a pruning sync or an app deletion keeps it',
                ("metadata",),
            )


def check_sync_policies(index: ResourceIndex) -> Iterator[Finding]:
    for application in _applications(index):
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


def _ignores_replicas(application: Resource, kind: str, name: str) -> bool:
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
    for application in _applications(index):
        entries = deployed_entries(application, index.repository.url)
        options = get_path(application.obj, ("spec", "syncPolicy", "syncOptions")) or []
        for hpa in index.of_kind("HorizontalPodAutoscaler"):
            if hpa.entry not in entries:
                continue
            target = get_path(hpa.obj, ("spec", "scaleTargetRef")) or {}
            kind, name = str(target.get("kind")), str(target.get("name"))
            if not _ignores_replicas(application, kind, name) or "RespectIgnoreDifferences=true" not in options:
                yield application.finding(
                    "GITOPS-IGNORE-DIFFERENCES",
                    f"HorizontalPodAutoscaler {hpa.ref.name} scales {kind} {name}: add ignoreDifferences for its "
                    "/spec/replicas and the sync option RespectIgnoreDifferences=true",
                    ("spec",),
                )


def check_retired_components(index: ResourceIndex) -> Iterator[Finding]:
    for application in _applications(index):
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


def check_shared_resources(index: ResourceIndex) -> Iterator[Finding]:
    """One cluster object deployed by two Applications: each sync rewrites Argo CD's tracking annotation, so
    with self-heal they overwrite each other forever, and pruning one deletes what the other expects."""
    facts = index.repository
    for identity, resources in index.identities():
        owners: dict[str, Resource | None] = {}
        if identity in facts.upstream_owners:
            owners[facts.upstream_owners[identity]] = None
        for resource in resources:
            for application in facts.applications_of(resource.entry):
                owners.setdefault(application, resource)
        if len(owners) < 2:
            continue
        names = sorted(owners)
        # Reported on every copy but one: the upstream owner's (not rendered here), else the first by name.
        keeper = next((name for name in names if owners[name] is None), names[0])
        for application, copy in owners.items():
            if copy is None or application == keeper:
                continue
            yield copy.finding(
                "GITOPS-SHARED-RESOURCE",
                f"{copy.kind} {identity[2] or '(cluster)'}/{identity[3]} is deployed by Applications "
                f"{' and '.join(names)}: each sync takes it from the other (endless OutOfSync with self-heal, and "
                f"pruning one deletes it from the other); keep it in one Application and disable it in {application}",
            )


# `oncePer` on a single revision: Argo CD fills only `revisions` (plural) for Applications with several sources.
_SINGLE_REVISION = re.compile(r"\b(?:sync|syncResult)\.revision\b(?!s)")


def check_notification_once_per(index: ResourceIndex) -> Iterator[Finding]:
    """A notification trigger whose `oncePer` is empty for multi-source Applications: notifications-engine turns
    the missing value into one constant key, so the trigger notifies once per Application, ever."""
    multi_source = sorted(a.ref.name for a in _applications(index) if (a.obj.get("spec") or {}).get("sources"))
    if not multi_source:
        return
    for config_map in index.of_kind("ConfigMap"):
        for key, text in (config_map.obj.get("data") or {}).items():
            if not str(key).startswith("trigger.") or not isinstance(text, str):
                continue
            try:
                conditions = yaml.safe_load(text)
            except yaml.YAMLError:
                continue
            for condition in conditions if isinstance(conditions, list) else []:
                once_per = str(condition.get("oncePer", "")) if isinstance(condition, dict) else ""
                if _SINGLE_REVISION.search(once_per):
                    yield config_map.finding(
                        "GITOPS-NOTIFICATION-ONCE-PER",
                        f"{key}: oncePer `{once_per}` is empty for Applications with several sources "
                        f"({', '.join(multi_source[:3])}{' …' if len(multi_source) > 3 else ''}), so the trigger "
                        "notifies once per Application, ever; use `app.status.operationState?.finishedAt` (once per "
                        "operation), `app.status.sync.revisions`, or drop oncePer",
                        ("data", key),
                    )
