"""What is deployed together. Cross-resource rules (duplicates, references, network-policy coverage) only make
sense among objects that live in one cluster at once:
  - the cluster: every repository path an Application deploys (its namespaced objects without a namespace
    placed in the Application's `destination.namespace`), the manifests its values files embed, and the
    entry points holding those Applications (someone applied them);
  - every other entry point (examples, tests, alternative overlays) on its own."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from gitops_toolkit.core.resource import CLUSTER_SCOPED, Resource
from gitops_toolkit.render.applications import (
    CHART_ENTRY_PREFIX,
    EMBEDDED_SUFFIX,
    destination_namespace,
    is_application,
    kustomize_entry,
    same_repository,
    sources,
)
from gitops_toolkit.render.read.source_files import SourceFiles


def in_namespace(resource: Resource, namespace: str) -> Resource:
    """The resource as Argo CD applies it into `namespace`: unchanged when it names one or is cluster-scoped."""
    if not namespace or resource.kind in CLUSTER_SCOPED or resource.metadata.get("namespace"):
        return resource
    placed = {**resource.obj, "metadata": {**resource.metadata, "namespace": namespace}}
    return dataclasses.replace(resource, obj=placed)


def deployed_sets(
    resources: list[Resource], repository_url: str, root: Path, tree: SourceFiles
) -> list[list[Resource]]:
    """The cluster's resources (when any), then each undeployed entry point's."""
    by_entry: dict[str, list[Resource]] = {}
    for resource in resources:
        by_entry.setdefault(resource.entry, []).append(resource)
    cluster: list[Resource] = []
    deployed: set[str] = set()  # entries an Application deploys
    deploying: set[str] = set()  # entries holding such Applications
    placed: set[str] = set()  # entries already in the cluster, in their Application's namespace
    for application in filter(is_application, resources):
        for source in sources(application):
            if source.chart:
                deploying.add(application.entry)
            if same_repository(source.repo_url, repository_url) and source.path and not source.chart:
                entry = tree.relative((root / source.path).resolve())
                deployed.add(entry)
                deploying.add(application.entry)
                built = kustomize_entry(application, source)  # the path with the Application's settings
                if built in by_entry:
                    entry = built
                    placed.add(built)
                namespace = destination_namespace(application)
                cluster += [in_namespace(resource, namespace) for resource in by_entry.get(entry, [])]
    alone: list[list[Resource]] = []
    for entry, entry_resources in sorted(by_entry.items()):
        if entry in placed:
            continue
        if entry.endswith(EMBEDDED_SUFFIX) or entry.startswith(CHART_ENTRY_PREFIX):
            cluster += entry_resources  # a chart an Application installs, or manifests its values embed
        elif entry in deploying and entry not in deployed:
            cluster += entry_resources  # applied by hand
        elif entry not in deployed and entry not in deploying:
            alone.append(entry_resources)
    return ([cluster] if cluster else []) + alone
