"""GitOps rules on how Argo CD syncs: sync waves it can read and that order CRDs before their custom resources,
sync options it knows, prune protection for what holds data, one Application per cluster object, and
notification triggers that fire as meant (Argo CD's sync-options, sync-waves and notifications docs)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import yaml

from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.object_paths import get_path, split_api_version
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.gate.rules.gitops.applications import argo_applications
from gitops_toolkit.gate.rules.index import ResourceIndex
from gitops_toolkit.render.applications import deployed_entries

_SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
_WAVE = "argocd.argoproj.io/sync-wave"
_PROTECTED_KINDS = ("Namespace", "PersistentVolumeClaim")


# Argo CD reads a wave with Go's strconv.Atoi: an optional sign and ASCII digits, nothing else (no spaces,
# no "1.0", no "٣"); whatever it cannot read is wave 0.
_ATOI = re.compile(r"[+-]?[0-9]{1,18}")


def sync_wave(resource: Resource) -> int:
    """The wave Argo CD syncs a resource in."""
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


def _synced_by_argo_cd(index: ResourceIndex) -> list[Resource]:
    """What an Argo CD Application deploys, and Argo CD's own objects: where its annotations mean something.
    A repository that Flux or `kubectl apply` deploys is not judged by Argo CD's rules."""
    return [
        resource
        for resource in index.resources
        if index.repository.applications_of(resource.entry) or resource.api_group == "argoproj.io"
    ]


def check_sync_wave_values(index: ResourceIndex) -> Iterator[Finding]:
    for resource in _synced_by_argo_cd(index):
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
    for resource in _synced_by_argo_cd(index):
        annotation = resource.annotation(_SYNC_OPTIONS)
        for _, option in _unknown_options(annotation.split(",") if annotation else []):
            yield resource.finding(
                "GITOPS-SYNC-OPTION",
                f"Argo CD ignores the sync option `{option.strip()}`; the options it knows are {known}",
                ("metadata", "annotations", _SYNC_OPTIONS),
            )
    for application in argo_applications(index):
        options = get_path(application.obj, ("spec", "syncPolicy", "syncOptions"))
        for position, option in _unknown_options([str(o) for o in options] if isinstance(options, list) else []):
            yield application.finding(
                "GITOPS-SYNC-OPTION",
                f"Argo CD ignores the sync option `{option}`; the options it knows are {known}",
                ("spec", "syncPolicy", "syncOptions", position),
            )


def check_sync_waves(index: ResourceIndex) -> Iterator[Finding]:
    facts = index.repository
    applications = {application.ref.name: application for application in argo_applications(index)}
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
            if sync_wave(application) <= sync_wave(applications[provider]):
                yield application.finding(
                    "GITOPS-SYNC-WAVE",
                    f"deploys {kind}, whose CRD Application {provider} installs in wave "
                    f"{sync_wave(applications[provider])}, but syncs in wave {sync_wave(application)}; give it a "
                    f"later {_WAVE}",
                    ("metadata", "annotations", _WAVE) if application.annotation(_WAVE) else ("metadata",),
                )


def check_prune_protection(index: ResourceIndex) -> Iterator[Finding]:
    for resource in _synced_by_argo_cd(index):
        if resource.kind not in _PROTECTED_KINDS:
            continue
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
    multi_source = sorted(a.ref.name for a in argo_applications(index) if (a.obj.get("spec") or {}).get("sources"))
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
