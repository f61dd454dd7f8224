"""The end of a smoke test or drill: on a failure the diagnostics bundle, then the report (to stdout or a file),
then the exit code (0 all passed, 1 any failed)."""

from __future__ import annotations

import sys
from pathlib import Path

from gitops_toolkit.checks.smoke.bundle import collect, write_bundle
from gitops_toolkit.checks.smoke.report import FORMATS
from gitops_toolkit.checks.smoke.result import FAIL, CheckResult
from gitops_toolkit.core.atomic_files import write_atomic
from gitops_toolkit.tools.cluster_api import ClusterApi, ClusterUnreachable

REPORTS = Path("reports")


def conclude(
    root: Path, suite: str, cluster: ClusterApi, results: list[CheckResult], output_format: str, output: str
) -> int:
    failed = any(result.status == FAIL for result in results)
    evidence = ""
    if failed:
        directory = Path(output).resolve().parent if output else root / REPORTS
        try:
            evidence = str(write_bundle(directory, suite.replace(" ", "-"), collect(cluster, results)))
        except ClusterUnreachable as error:
            print(f"{suite}: no diagnostics bundle: {error}", file=sys.stderr)
        except OSError as error:
            print(f"{suite}: no diagnostics bundle: cannot write in {directory}: {error.strerror}", file=sys.stderr)
    report = FORMATS[output_format](suite, results, evidence)
    if not output:
        sys.stdout.write(report)
        return 1 if failed else 0
    try:
        write_atomic(Path(output), report)
    except OSError as error:
        print(f"{suite}: cannot write {output}: {error.strerror}; choose another --output", file=sys.stderr)
        return 2
    print(f"{suite}: report written to {output}" + (f"; diagnostics: {evidence}" if evidence else ""))
    return 1 if failed else 0


def format_problem(output_format: str) -> str:
    if output_format in FORMATS:
        return ""
    return f"--format {output_format}: use one of {', '.join(FORMATS)}"
