"""`invoke diff` names a CRD change that kube-apiserver refuses: the version the base stores objects in left out
of `spec.versions` ("must appear in spec.versions"). Keeping it unserved, or changing anything else, passes."""

from __future__ import annotations

from typing import Any

import yaml

from gitops_toolkit.core.resource import Resource
from gitops_toolkit.delivery.diff.compare import compare
from gitops_toolkit.delivery.diff.sides import Side


def crd(*versions: tuple[str, bool, bool], description: str = "") -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": "Widget", "plural": "widgets"},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": name,
                    "served": served,
                    "storage": storage,
                    "schema": {"openAPIV3Schema": {"type": "object", "description": description}},
                }
                for name, served, storage in versions
            ],
        },
    }


def side(obj: dict[str, Any], as_chart_text: bool = False) -> Side:
    if as_chart_text:
        stub = {key: obj[key] for key in ("apiVersion", "kind", "metadata")}
        resource = Resource(
            stub,
            "chart widgets: chart widgets 1.0.0",
            "crds/widgets.yaml",
            1,
            third_party=True,
            crd_text=yaml.safe_dump(obj),
        )
    else:
        resource = Resource(obj, "platform/widgets", "platform/widgets/crd.yaml", 1)
    return Side("side", [resource], {"platform/widgets": "widgets"}, {})


def notes(before: dict[str, Any], after: dict[str, Any], as_chart_text: bool = False) -> list[str]:
    changes = compare(side(before, as_chart_text), side(after, as_chart_text))
    assert len(changes) == 1
    return changes[0].notes


BASE = crd(("v1alpha1", True, True))


def test_dropping_the_stored_version_is_named_as_refused() -> None:
    for as_chart_text in (False, True):
        found = notes(BASE, crd(("v1", True, True)), as_chart_text)
        assert len(found) == 1 and found[0].startswith("refused by the API server: it drops v1alpha1"), found
        assert '"v1alpha1": must appear in spec.versions' in found[0]


def test_keeping_the_stored_version_unserved_or_changing_a_schema_passes() -> None:
    assert notes(BASE, crd(("v1alpha1", False, False), ("v1", True, True))) == []
    assert notes(BASE, crd(("v1alpha1", True, True), description="changed")) == []
    assert notes(crd(("v1alpha1", True, False), ("v1", True, True)), crd(("v1", True, True))) == []
