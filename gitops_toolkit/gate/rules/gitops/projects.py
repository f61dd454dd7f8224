"""GitOps rules on Argo CD AppProjects: every Application in a project that exists and allows its sources and
destination (as Argo CD's project checks refuse them), and projects that list what they allow, no wildcards."""

from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import Any

from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.object_paths import get_path
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.gate.rules.gitops.applications import argo_applications
from gitops_toolkit.gate.rules.index import ResourceIndex
from gitops_toolkit.render.applications import sources


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
    for application in argo_applications(index):
        name = str(get_path(application.obj, ("spec", "project")) or "")
        if name in ("", "default"):
            yield application.finding(
                "GITOPS-PROJECT",
                "uses the `default` project, which may deploy anything anywhere; use the platform or apps project",
                ("spec", "project"),
            )
        elif _project(index, application) is None and name not in index.repository.unrendered_projects:
            yield application.finding(
                "GITOPS-PROJECT",
                f"project `{name}` is not rendered in namespace {application.ref.namespace}; Argo CD would refuse "
                "the Application: fix the name or add the AppProject",
                ("spec", "project"),
            )


def check_sources_allowed(index: ResourceIndex) -> Iterator[Finding]:
    for application in argo_applications(index):
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
    for application in argo_applications(index):
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
