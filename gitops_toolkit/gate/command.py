"""`invoke validate`: run the gate, print the report, and say how it ended in the exit code
(0 clean, 1 error findings, 2 the tool could not run)."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

from gitops_toolkit.core.atomic_files import write_atomic
from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.core.gate_settings import read_settings
from gitops_toolkit.core.machines import cluster_minor
from gitops_toolkit.core.progress import progress_for_terminal
from gitops_toolkit.core.versions import KUBERNETES_VERSION
from gitops_toolkit.gate.changed import changed_note
from gitops_toolkit.gate.pipeline import GateOptions, run_gate
from gitops_toolkit.gate.report.formats import FORMATTERS, capacity_markdown, rendering_note, summary
from gitops_toolkit.gate.schema.api_lifecycle import shipped_versions
from gitops_toolkit.gate.shards import import_caches, parse_shard, read_records, shard_note, stale_note, write_record
from gitops_toolkit.render.kustomize import RenderLimits
from gitops_toolkit.tools.git import GitError, head_commit

EXIT_TOOL_FAILED = 2


def _extra_reports(reports: tuple[str, ...]) -> list[tuple[str, Path]]:
    """`--report FORMAT=FILE` pairs: more reports of the same run (CI wants JUnit and Code Quality at once)."""
    pairs = []
    for text in reports:
        report_format, _, file = text.partition("=")
        if report_format not in FORMATTERS or not file:
            raise ToolError(f"--report {text}: write FORMAT=FILE with FORMAT one of {', '.join(FORMATTERS)}")
        pairs.append((report_format, Path(file)))
    return pairs


def _cluster_version(root: Path, inventory: Path | None) -> str:
    """The version the cluster runs, as its inventory says (given, or the `inventory` site setting); else the
    pinned one. A version the gate has no schemas for falls back to the pinned one too."""
    if inventory is None and (configured := read_settings(root).inventory):
        inventory = root / configured
    minor = cluster_minor(inventory) if inventory is not None and inventory.is_file() else ""
    return minor if minor in shipped_versions() else KUBERNETES_VERSION


def _head(root: Path) -> str:
    try:
        return head_commit(root)
    except GitError:
        return ""


def validate_command(
    root: Path,
    crd_dirs: list[Path],
    output_format: str = "text",
    output: Path | None = None,
    jobs: int = 0,
    helm_binary: Path | None = None,
    reports: tuple[str, ...] = (),
    inventory: Path | None = None,
    kubernetes_version: str = "",
    changed_since: str = "",
    shard: str = "",
    shard_dir: Path = Path("gate-shards"),
    merge_reports: Path | None = None,
) -> int:
    try:
        kubernetes_version = kubernetes_version or _cluster_version(root, inventory)
        if kubernetes_version not in shipped_versions():
            raise ToolError(
                f"--kube-version {kubernetes_version}: no schemas for it; choose one of {', '.join(shipped_versions())}"
            )
        if output_format not in FORMATTERS:
            raise ToolError(f"unknown --format {output_format!r}; choose one of {', '.join(FORMATTERS)}")
        extra = _extra_reports(reports)
        if helm_binary is not None and not (helm_binary.is_file() and os.access(helm_binary, os.X_OK)):
            raise ToolError(f"--helm {helm_binary}: not an executable file; give the path of a helm binary")
        limits = RenderLimits(jobs=jobs) if jobs > 0 else RenderLimits()
        if inventory is not None and not inventory.is_file():
            raise ToolError(f"--inventory {inventory}: no such file; give the inventory of your hosts")
        if shard and merge_reports is not None:
            raise ToolError("--shard and --merge-reports: a run is one shard or the merge of them all, not both")
        records = read_records(merge_reports) if merge_reports is not None else []
        import_caches(records)
        options = GateOptions(
            root=root,
            crd_dirs=tuple(crd_dirs),
            render=limits,
            helm_binary=helm_binary,
            inventory=inventory,
            kubernetes_version=kubernetes_version,
            changed_since=changed_since,
            shard=parse_shard(shard) if shard else None,
        )
        result = run_gate(options, progress_for_terminal())
        if options.shard is not None:
            write_record(shard_dir, options.shard, result.entries, result.findings, _head(root))
        report = FORMATTERS[output_format](result.findings)
        if output_format == "markdown" and result.capacity:
            report += capacity_markdown(result.capacity)
        if output is not None:
            write_atomic(output, report)
        else:
            sys.stdout.write(report)
        for report_format, path in extra:
            write_atomic(path, FORMATTERS[report_format](result.findings))
        print(summary(result.findings, len(result.entries), len(result.resources)), file=sys.stderr)
        print(rendering_note(len(result.entries), result.rerendered), file=sys.stderr)
        if options.shard is not None:
            print(f"shard {options.shard}: {shard_note(len(result.entries))} -> {shard_dir}", file=sys.stderr)
        if result.changed is not None:
            print(changed_note(result.changed), file=sys.stderr)
        if records and (stale := stale_note(records, result.findings, _head(root))):
            print(stale, file=sys.stderr)
        return result.exit_code
    except ToolError as error:
        print(f"validate: {error}", file=sys.stderr)
        return EXIT_TOOL_FAILED
    except Exception as error:  # a bug of ours: still one line, with the traceback on request
        if os.environ.get("GITOPS_TOOLKIT_DEBUG"):
            traceback.print_exc()
        print(
            f"validate: internal error: {type(error).__name__}: {error} "
            "(set GITOPS_TOOLKIT_DEBUG=1 to see the traceback)",
            file=sys.stderr,
        )
        return EXIT_TOOL_FAILED
