"""`invoke bump-image` (CI writes the tags it built into an overlay) and `invoke promote` (the tags of one
overlay copied to another on a branch, for a merge request). Bad input is refused before anything is written;
an edit that would stop the overlay from rendering is not kept."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from gitops_toolkit.core.atomic_files import write_atomic
from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.core.image_tags import tag_problem
from gitops_toolkit.delivery.bump.kustomization import KUSTOMIZATION, ImagePin, Kustomization
from gitops_toolkit.delivery.bump.overlay_images import rendered_images
from gitops_toolkit.delivery.bump.publish import commit, push, require_clean, work_tree
from gitops_toolkit.tools.git import GitError, git, head_commit

OVERLAYS = Path("gitops-repo") / "apps" / "online-boutique" / "overlays"


def parse_sets(sets: list[str], registry: str = "") -> list[ImagePin]:
    """`SERVICE=TAG` pairs as pins, or ToolError naming every bad one."""
    pins, problems = [], []
    for text in sets:
        service, _, tag = text.partition("=")
        if not service or not tag:
            problems.append(f"--set {text}: write SERVICE=TAG, e.g. frontend=<40-hex commit SHA>")
        elif problem := tag_problem(tag):
            problems.append(f"--set {text}: {problem}")
        else:
            pins.append(ImagePin(service, tag, f"{registry.rstrip('/')}/{service}" if registry else ""))
    if not pins and not problems:
        problems.append("nothing to set: give at least one --set SERVICE=TAG")
    if problems:
        raise ToolError("\n".join(problems))
    return pins


def apply_pins(overlay: Path, pins: list[ImagePin]) -> dict[str, str]:
    """Pin the services in the overlay's kustomization; {service: the tag it had} for those that changed.
    Nothing is written when a service is unknown, and the edit is undone if the overlay no longer renders."""
    images = rendered_images(overlay)
    kustomization = Kustomization(overlay)
    before = kustomization.pins()
    unknown = sorted({pin.service for pin in pins} - set(images) - set(before))
    if unknown:
        raise ToolError(
            f"{overlay}: renders no image for {', '.join(unknown)}; its services are {', '.join(sorted(images))}"
        )
    for pin in pins:
        kustomization.pin(pin, images.get(pin.service, ""))
    original = kustomization.text
    if not kustomization.save():
        return {}
    try:
        rendered_images(overlay)
    except ToolError as error:
        write_atomic(kustomization.path, original)
        raise ToolError(f"{error}; the edit was not kept") from None
    return {
        pin.service: before[pin.service].tag if pin.service in before else "(the base's)"
        for pin in pins
        if before.get(pin.service) != kustomization.pins().get(pin.service)
    }


def _message(verb: str, pins: list[ImagePin], where: str) -> str:
    return f"{verb} {', '.join(f'{pin.service} to {pin.tag}' for pin in pins)} in {where}"


def _print_changes(changed: dict[str, str], pins: list[ImagePin]) -> None:
    tags = {pin.service: pin.tag for pin in pins}
    for service, old in changed.items():
        print(f"{service}: {old} -> {tags[service]}")


def publish_pins(overlay: Path, pins: list[ImagePin], root: Path, push_it: bool) -> str:
    """Commit the pins already applied to `overlay` (and push them, re-applied on top when the remote moved);
    the commit message."""
    message = _message("Bump", pins, str(overlay.resolve().relative_to(root)))
    edited = [overlay.resolve() / KUSTOMIZATION]
    commit(root, edited, message)
    if push_it:

        def reapply() -> bool:
            if not apply_pins(overlay, pins):
                return False
            commit(root, edited, message)
            return True

        attempts = push(root, reapply)
        print(f"pushed ({attempts} attempt(s)): {message}")
    else:
        print(f"committed: {message}")
    return message


def bump_image_command(overlay: Path, sets: list[str], registry: str, commit_it: bool, push_it: bool) -> int:
    try:
        pins = parse_sets(sets, registry)
        root = work_tree(overlay) if commit_it or push_it else None
        if root:
            require_clean(root)
        changed = apply_pins(overlay, pins)
        _print_changes(changed, pins)
        if not changed:
            print(f"nothing to change: {overlay / KUSTOMIZATION} already pins these tags")
            return 0
        if root:
            publish_pins(overlay, pins, root, push_it)
    except GitError as error:  # the edit is made; committing or pushing it failed
        print(str(error), file=sys.stderr)
        return 1
    except ToolError as error:
        print(str(error), file=sys.stderr)
        return 2
    return 0


def _where_we_are(root: Path) -> tuple[str, ...]:
    """`git switch` arguments that come back here: the branch, or the commit of a detached HEAD (CI, a tag)."""
    branch = git(root, "branch", "--show-current").strip()
    return (branch,) if branch else ("--detach", head_commit(root))


def promote_command(root: Path, source: str, target: str, services: list[str], push_it: bool) -> int:
    """The tags `source` pins, for `services` (all by default), pinned in `target` on a new branch."""
    try:
        from_overlay, to_overlay = root / OVERLAYS / source, root / OVERLAYS / target
        for overlay in (from_overlay, to_overlay):
            if not (overlay / KUSTOMIZATION).is_file():
                raise ToolError(f"{overlay}: no such overlay")
        pins = [
            pin for name, pin in sorted(Kustomization(from_overlay).pins().items()) if not services or name in services
        ]
        missing = sorted(set(services) - {pin.service for pin in pins})
        if missing or not pins:
            raise ToolError(f"{from_overlay}: pins no tag for {', '.join(missing) or 'any service'}")
        require_clean(root)
        started_on = _where_we_are(root)
        branch = f"promote/{source}-to-{target}-{time.strftime('%Y%m%d-%H%M%S')}"
        git(root, "switch", "--quiet", "-c", branch)
        changed: dict[str, str] = {}
        try:
            changed = apply_pins(to_overlay, pins)
        finally:
            if not changed:  # nothing to commit, or the edit was refused: back where the user was
                git(root, "switch", "--quiet", *started_on)
                git(root, "branch", "--quiet", "-D", branch)
        if not changed:
            print(f"nothing to promote: {target} already pins the tags {source} pins")
            return 0
        commit(root, [to_overlay / KUSTOMIZATION], _message(f"Promote from {source}:", pins, target))
        if push_it:
            git(root, "push", "--quiet", "-u", "origin", branch)
        _print_changes(changed, pins)
        print(
            f"branch {branch} is ready for a merge request into {target}"
            + ("" if push_it else f"; push it: git push -u origin {branch}")
        )
    except ToolError as error:
        print(str(error), file=sys.stderr)
        return 2
    return 0
