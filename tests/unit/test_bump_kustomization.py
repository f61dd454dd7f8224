"""Pinning tags in a kustomization: only real pins accepted, and the file unchanged outside the edited entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.delivery.bump.command import parse_sets
from gitops_toolkit.delivery.bump.kustomization import ImagePin, Kustomization

SHA = "3f2a9c1d" * 5
DIGEST = "sha256:" + "ab" * 32
COMMENTED = """\
# Development overlay. Keep these comments.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base   # the shared base
images:
  # the shop's own images, bumped by CI
  - name: registry.example/shop/frontend
    newTag: v0.10.6  # the release before CI took over
  - name: registry.example/shop/cartservice
    newTag: "0123456789012345678901234567890123456789"
patches:
  - patch: |-
      - op: add
        path: /spec/replicas
        value: 1
    target: {kind: Deployment, name: frontend}
"""


def overlay(tmp_path: Path, text: str = COMMENTED) -> Path:
    (tmp_path / "kustomization.yaml").write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("tag", [SHA, "v1.2.3", "1.2.3-rc.1", DIGEST])
def test_pins_that_name_one_build_are_accepted(tag: str) -> None:
    assert parse_sets([f"frontend={tag}"]) == [ImagePin("frontend", tag)]


@pytest.mark.parametrize("tag", ["latest", "v1", "1.2", "main", "stable", SHA[:39], "sha256:abc"])
def test_tags_that_move_are_refused(tag: str) -> None:
    with pytest.raises(ToolError, match=f"--set frontend={tag}: "):
        parse_sets([f"frontend={tag}"])


def test_a_malformed_set_is_refused_with_the_form_to_use() -> None:
    with pytest.raises(ToolError, match="write SERVICE=TAG"):
        parse_sets(["frontend"])


def test_the_edited_entry_is_the_only_change(tmp_path: Path) -> None:
    kustomization = Kustomization(overlay(tmp_path))
    kustomization.pin(ImagePin("frontend", SHA), "registry.example/shop/frontend")
    assert kustomization.save()
    expected = COMMENTED.replace("newTag: v0.10.6  # the release", f"newTag: {SHA}  # the release")
    assert (tmp_path / "kustomization.yaml").read_text(encoding="utf-8") == expected


def test_the_same_tag_again_changes_nothing(tmp_path: Path) -> None:
    kustomization = Kustomization(overlay(tmp_path))
    kustomization.pin(ImagePin("cartservice", "0123456789012345678901234567890123456789"), "")
    assert not kustomization.save()


def test_a_missing_entry_is_added_and_a_digest_replaces_the_tag(tmp_path: Path) -> None:
    kustomization = Kustomization(overlay(tmp_path))
    kustomization.pin(ImagePin("adservice", SHA, "registry.local/shop/adservice"), "registry.example/shop/adservice")
    kustomization.pin(ImagePin("frontend", DIGEST), "registry.example/shop/frontend")
    kustomization.save()
    pins = Kustomization(tmp_path).pins()
    assert pins["adservice"] == ImagePin("adservice", SHA, "registry.local/shop/adservice")
    assert pins["frontend"].tag == DIGEST
    text = (tmp_path / "kustomization.yaml").read_text(encoding="utf-8")
    assert "newTag: v0.10.6" not in text and "# the shop's own images, bumped by CI" in text
