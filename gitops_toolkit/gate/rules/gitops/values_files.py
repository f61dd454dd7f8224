"""Values files as Argo CD reads them: the ones the Applications name, and files named like values files
(values.yaml, *-values.yaml) that no Application names, which nothing reads."""

from __future__ import annotations

import re
from pathlib import Path

from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.core.tree_walk import walk_tree
from gitops_toolkit.render.applications import existing_values_files, is_application, sources
from gitops_toolkit.render.read.kustomization import KustomizationIndex, files_kustomize_reads
from gitops_toolkit.render.read.source_files import SourceFiles, in_a_chart

_VALUES_FILE = re.compile(r"(?:[\w.-]*[-_.])?values(?:[-_.][\w.-]*)?\.ya?ml")


def named_values_files(resources: list[Resource], tree: SourceFiles, root: Path) -> list[str]:
    """Repository-relative values files the Applications name that exist."""
    return [
        tree.relative(path)
        for application in filter(is_application, resources)
        for source in sources(application)
        for path in existing_values_files(source, root)
    ]


def unused_values_files(
    roots: list[Path], tree: SourceFiles, kustomizations: KustomizationIndex, used: set[str]
) -> list[Finding]:
    """CHART-VALUES-UNUSED for each values file under `roots` that nothing reads: not in `used` (what the
    Applications name), not a chart's own (Helm reads the values.yaml of a chart, and its ci/ files are
    `helm test` input), not a file a kustomization names (a patch, a resource, a generator's input)."""
    named_by_kustomize = files_kustomize_reads(kustomizations, roots, tree.excluded)
    return [
        Finding(
            relative,
            1,
            "CHART-VALUES-UNUSED",
            "no Application names this values file, so nothing reads it; add it to an Application's "
            "helm.valueFiles or delete it",
        )
        for directory, _, files in walk_tree(roots, tree.excluded)
        for name in files
        if _VALUES_FILE.fullmatch(name)
        and (relative := tree.relative(directory / name)) not in used
        and not in_a_chart(directory, tree.root)
        and (directory / name).resolve() not in named_by_kustomize
    ]
