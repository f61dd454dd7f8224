"""What the rules need to know about this checkout beyond its rendered resources, gathered by gate/facts.py so
that the rules stay pure functions of the index: which Application paths rendered (their status is one of
render.rendered's), which values files exist, and which Application installs each custom resource kind."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gitops_toolkit.core.machines import ClusterShape
from gitops_toolkit.gate.rules.observability.grafana import Datasource


@dataclass(frozen=True)
class RepositoryFacts:
    url: str = ""
    path_status: Mapping[str, str] = field(default_factory=dict)  # repository-relative path -> status
    existing_files: frozenset[str] = frozenset()  # repository-relative values files that exist
    providers: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (group, kind) -> Application
    datasources: tuple[Datasource, ...] = ()  # what Grafana is provisioned with
    runbooks: frozenset[str] = frozenset()  # alert names with a page in docs/runbooks/
    # components whose metrics the bootstrap binds beyond 127.0.0.1 (None: the repository has no kubeadm config)
    kubeadm_opened: frozenset[str] | None = frozenset()
    owners: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # rendered entry -> Applications
    unreferenced: frozenset[str] = frozenset()  # entries of manifests nothing names (render.unreferenced)
    # AppProjects written in files the gate did not render (a remote base beside them): they exist
    unrendered_projects: frozenset[str] = frozenset()
    # (API group, kind, namespace, name) -> the Application that deploys it from another git repository
    upstream_owners: Mapping[tuple[str, str, str, str], str] = field(default_factory=dict)
    # something an Application deploys did not render (its finding says why): cross-checks that need the
    # whole picture hold back
    incomplete: bool = False
    cluster: ClusterShape | None = None  # the inventory's machines, for the capacity rules (None: no inventory)

    def applications_of(self, entry: str) -> tuple[str, ...]:
        return self.owners.get(entry, ())
