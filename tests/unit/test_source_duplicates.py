"""Duplicates in source files, found before kustomize merges them away."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import gate

Tree = Callable[[dict[str, str | bytes]], Path]


def test_duplicates_in_a_source_file_are_found_before_a_patch_merges_them(write_tree: Tree) -> None:
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n"
        "  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n        - name: web\n"
        "          image: registry.example.org/web:1.0.0\n          ports:\n"
        "            - {containerPort: 53, protocol: TCP}\n            - {containerPort: 53, protocol: UDP}\n"
        "          env:\n            - {name: MODE, value: a}\n            - {name: MODE, value: b}\n"
    )
    patch = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n"
    root = write_tree(
        {
            "gitops-repo/app/kustomization.yaml": "resources: [web.yaml]\npatches:\n  - path: patch.yaml\n",
            "gitops-repo/app/web.yaml": deployment,
            "gitops-repo/app/patch.yaml": patch,
        }
    )
    result = gate(root)
    assert [(f.rule, f.path, f.line) for f in result.findings if f.rule == "SOURCE-DUPLICATE"] == [
        ("SOURCE-DUPLICATE", "gitops-repo/app/web.yaml", 17)  # the second MODE; 53/TCP and 53/UDP are two ports
    ]
    assert [c["env"] for c in result.resources[0].obj["spec"]["template"]["spec"]["containers"]]  # it rendered
