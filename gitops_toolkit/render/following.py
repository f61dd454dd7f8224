"""Rendering what the repository deploys: kustomize entry points (guarded first, rendered in parallel, parsed
back to the files a person edits), then every repository path an Application names that discovery did not
find (a kustomization or a plain directory), the manifests its values files embed, and its chart releases;
repeated while new Applications appear."""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import yaml

from gitops_toolkit.core.bounded_yaml import load_trusted_yaml, read_text
from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.progress import Progress, timed
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.render.applications import (
    Source,
    embedded_objects,
    existing_values_files,
    is_application,
    kustomize_entry,
    repository_paths,
    same_repository,
    sources,
)
from gitops_toolkit.render.charts.releases import chart_releases
from gitops_toolkit.render.kustomize import Rendering, render_all
from gitops_toolkit.render.kustomize_cache import (
    Closure,
    cached_rendering,
    is_stored,
    read_closure,
    store_rendering,
    why_rendered,
)
from gitops_toolkit.render.kustomize_overrides import render_with_overrides
from gitops_toolkit.render.read.guard import guard
from gitops_toolkit.render.read.kustomization import Kustomization, kustomization_file
from gitops_toolkit.render.read.parse import load_plain_directory, parse_rendering
from gitops_toolkit.render.rendered import (
    COMPONENT,
    FAILED,
    HELM_CHART,
    MISSING,
    REMOTE,
    RENDERED,
    Rendered,
    RenderOptions,
    Repository,
)

# An entry point's rendering as the run keeps it: its path status, its resources, its findings.
_Parsed = tuple[str, list[Resource], list[Finding]]
# Applications may name paths that name Applications: follow them this many times at most.
_MAX_APPLICATION_ROUNDS = 5


class DeployedPaths:
    """Fills `rendered` with what the entry points and the Applications' paths render."""

    def __init__(self, repository: Repository, options: RenderOptions, progress: Progress, rendered: Rendered) -> None:
        self.repository = repository
        self.options = options
        self.progress = progress
        self.rendered = rendered
        self.followed: set[int] = set()  # the Applications whose sources are rendered already

    def entry_file(self, entry: Path) -> str:
        return self.repository.tree.relative(kustomization_file(entry) or entry)

    def render_entries(self, entries: list[Path], scan_roots: list[Path]) -> None:
        """Guard, render and parse kustomization entry points."""
        repository, rendered = self.repository, self.rendered
        tree, seconds = repository.tree, rendered.seconds
        with timed(seconds, "guard"):
            guarded = guard(tree, repository.kustomizations, scan_roots, entries, repository.cyclic)
        rendered.object_files |= guarded.object_files
        rendered.findings += guarded.findings
        rendered.entries += entries
        for entry, first in sorted(guarded.blocked.items()):
            message = _until_fixed("not rendered until the guard findings in the files it uses are fixed", first)
            rendered.findings.append(Finding(self.entry_file(entry), 1, "RENDER-SKIPPED", message))
            rendered.path_status[tree.relative(entry)] = FAILED
        for entry in sorted(guarded.remote):
            message = (
                "not rendered: it uses a remote resource (GUARD-REMOTE-RESOURCE), so nothing it deploys is checked"
            )
            rendered.findings.append(Finding(self.entry_file(entry), 1, "RENDER-SKIPPED", message))
            rendered.path_status[tree.relative(entry)] = REMOTE
        renderable = [entry for entry in entries if entry not in guarded.blocked.keys() | guarded.remote]
        closures = guarded.closures
        with timed(seconds, "render"):
            read = self._read_closures(renderable, closures)
            missing = [entry for entry in renderable if not is_stored(read[entry])]
        # kubectl renders what the cache lacks while the cached renderings are read and parsed.
        parsed: dict[Path, _Parsed] = {}
        unreadable: list[Path] = []
        with ThreadPoolExecutor(max_workers=1) as kubectl:
            running = kubectl.submit(self._render_fresh, missing, read)
            with timed(seconds, "parse"):
                for entry in renderable:
                    found = None if entry in missing else cached_rendering(read[entry])
                    if found is not None:
                        parsed[entry] = self._parse(Rendering(entry, text=found[0], objects=found[1]), closures)
                    elif entry not in missing:
                        unreadable.append(entry)
            with timed(seconds, "render"):
                fresh = running.result() + self._render_fresh(unreadable, read)
        with timed(seconds, "parse"):
            parsed.update((rendering.entry, self._parse(rendering, closures)) for rendering in fresh)
        for entry in renderable:  # in the entry points' order, whichever finished first
            status, resources, findings = parsed[entry]
            rendered.path_status[tree.relative(entry)] = status
            rendered.resources += resources
            rendered.findings += findings

    def _parse(self, rendering: Rendering, closures: dict[Path, list[Kustomization]]) -> _Parsed:
        tree = self.repository.tree
        if rendering.failure_rule:
            message = rendering.failure.replace(f"{self.repository.root}/", "")  # paths as a person sees them
            return FAILED, [], [Finding(self.entry_file(rendering.entry), 1, rendering.failure_rule, message)]
        resources, findings = parse_rendering(
            rendering.entry, rendering.text, tree, closures[rendering.entry], objects=rendering.objects
        )
        return RENDERED, resources, findings

    def _read_closures(self, entries: list[Path], closures: dict[Path, list[Kustomization]]) -> dict[Path, Closure]:
        """What each entry reads (a shared base digested once), kept on `rendered` for --changed-since and the
        entry-results cache."""
        root, limits = self.repository.root, self.options.limits
        known: dict[str, tuple[str, str]] = {}
        read = {entry: read_closure(root, entry, closures[entry], limits, known) for entry in entries}
        self.rendered.read_files.update((entry, frozenset(closure.files)) for entry, closure in read.items())
        self.rendered.closure_keys.update((closure.entry, closure.key) for closure in read.values())
        return read

    def _render_fresh(self, entries: list[Path], read: dict[Path, Closure]) -> list[Rendering]:
        """kubectl for the entries the cache lacks; each rendering that succeeds is parsed to objects and kept."""
        if not entries:
            return []
        self.rendered.rerendered.update((entry, why_rendered(read[entry])) for entry in entries)
        self.progress.stage("rendering", total=len(entries))
        fresh = []
        for rendering in render_all(entries, self.options.limits, self.progress.advance):
            if not rendering.failure_rule:
                with contextlib.suppress(yaml.YAMLError):  # parse_rendering reports it
                    rendering = replace(rendering, objects=load_trusted_yaml(rendering.text))
                store_rendering(read[rendering.entry], rendering.text, rendering.objects)
            fresh.append(rendering)
        return fresh

    def follow_applications(self) -> None:
        """Render every repository path an Application deploys that discovery did not, and read the manifests
        its values files embed; repeated while new Applications appear."""
        repository, rendered = self.repository, self.rendered
        for _ in range(_MAX_APPLICATION_ROUNDS):
            applications = [r for r in rendered.resources if is_application(r) and id(r) not in self.followed]
            if not applications:
                return
            self.followed.update(map(id, applications))
            paths = repository_paths(applications, repository.config.repository_url, repository.root)
            new_entries = [path for path, named_by in paths.items() if self._settle(path, named_by)]
            releases, findings = chart_releases(applications, repository.charts, repository.tree, repository.root)
            rendered.releases += releases
            rendered.findings += findings
            rendered.resources += self._embedded(applications, skipped={id(r.source.body) for r in releases})
            if new_entries:
                self.render_entries(sorted(new_entries), scan_roots=[])
            for application in applications:
                for source in sources(application):
                    if (path := self._built_with_settings(source)) is not None:
                        self._render_with_settings(source, path)

    def _built_with_settings(self, source: Source) -> Path | None:
        """The repository kustomization a source deploys with kustomize settings, if it does."""
        root, url = self.repository.root, self.repository.config.repository_url
        if not source.kustomize_settings or source.chart or not same_repository(source.repo_url, url):
            return None
        path = (root / source.path).resolve() if source.path else root
        if not source.path or not path.is_relative_to(root) or not path.is_dir():
            return None  # GITOPS-SOURCE-PATH says why
        kustomization = self.repository.kustomizations.get(path)
        return path if kustomization is not None and not kustomization.is_component else None

    def _render_with_settings(self, source: Source, path: Path) -> None:
        """The path built as Argo CD builds it with the Application's kustomize settings, filed under its own
        entry (render.applications.kustomize_entry), after the guard has passed the path and its components."""
        repository, rendered, application = self.repository, self.rendered, source.application
        tree = repository.tree
        where = (*source.path_in_manifest, "kustomize")
        components = [path / str(name) for name in source.kustomize_settings.get("components") or []]
        outside = [c for c in components if not c.resolve().is_relative_to(repository.root) or not c.is_dir()]
        if outside:
            message = (
                f"component {tree.relative(outside[0])} is not a directory of this repository; Argo CD cannot add it"
            )
            rendered.findings.append(application.finding("RENDER-FAILED", message, (*where, "components")))
            return
        entries = [path, *(component.resolve() for component in components)]
        guarded = guard(tree, repository.kustomizations, [], entries, repository.cyclic)
        if guarded.blocked:
            what = "not built with its kustomize settings until the guard findings of its path are fixed"
            message = _until_fixed(what, next(iter(guarded.blocked.values())))
            rendered.findings.append(application.finding("RENDER-SKIPPED", message, where))
            return
        if guarded.remote:
            return  # its path's own RENDER-SKIPPED says so: Argo CD fetches what the gate, offline, cannot
        try:
            built = render_with_overrides(
                source.kustomize_settings, path, lambda name: self._patch_text(path, name), self.options.limits
            )
        except ToolError as error:
            rendered.findings.append(application.finding("RENDER-FAILED", str(error), (*where, "patches")))
            return
        if built.failure_rule:
            message = built.failure.replace(f"{repository.root}/", "")
            rendered.findings.append(application.finding(built.failure_rule, message, where))
            return
        closure = [kustomization for entry in entries for kustomization in guarded.closures[entry]]
        parsed, findings = parse_rendering(path, built.text, tree, closure, kustomize_entry(application, source))
        rendered.resources += parsed
        rendered.findings += findings

    def _patch_text(self, path: Path, name: str) -> str:
        """A patch file an Application names by its path, relative to the path it deploys."""
        file = (path / name).resolve()
        if not file.is_relative_to(self.repository.root) or not file.is_file():
            raise ToolError(f"patch {name} is not a file of this repository; Argo CD cannot apply it")
        return read_text(file, self.repository.tree.limits)

    def _settle(self, path: Path, named_by: list[Source]) -> bool:
        """Give a path an Application deploys its status (reading it when it is a plain directory); True when it
        is a kustomization still to render."""
        repository, rendered = self.repository, self.rendered
        relative = repository.tree.relative(path)
        if relative in rendered.path_status:
            return False
        if not path.is_relative_to(repository.root) or not path.is_dir():
            rendered.path_status[relative] = MISSING
            return False
        kustomization = repository.kustomizations.get(path)  # only now: a path outside is never read
        if kustomization is not None and kustomization.is_component:
            rendered.path_status[relative] = COMPONENT
        elif kustomization is not None:
            return True
        elif (path / "Chart.yaml").is_file():
            rendered.path_status[relative] = HELM_CHART
            rendered.findings += [
                source.application.finding(
                    "COVERAGE-HELM-CHART",
                    f"{relative} is a Helm chart: the gate does not render charts from this repository "
                    "yet, so what it deploys is not checked",
                    (*source.path_in_manifest, "path"),
                )
                for source in named_by
            ]
        else:
            recurse = any((source.body.get("directory") or {}).get("recurse") for source in named_by)
            loaded, problems = load_plain_directory(repository.tree, path, bool(recurse))
            rendered.resources += loaded
            rendered.findings += problems
            rendered.path_status[relative] = RENDERED
        return False

    def _embedded(self, applications: list[Resource], skipped: set[int]) -> list[Resource]:
        """Manifests the values files of charts that are not rendered embed (`extraObjects`)."""
        root, tree = self.repository.root, self.repository.tree
        return [
            embedded
            for application in applications
            for source in sources(application)
            if id(source.body) not in skipped
            for path in existing_values_files(source, root)
            for embedded in embedded_objects(tree, path, application)
        ]


def _until_fixed(what: str, first: Finding) -> str:
    return f"{what} (the first: {first.path}:{first.line} {first.rule} {first.message})"
