"""The one place that runs check-jsonschema: GitLab CI files against the GitLab CI schema it ships, with its
`gitlab-ci` data transform (which reads `!reference` tags). Offline: the schema is part of the package."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SchemaError:
    path: Path
    json_path: str  # "$.build.script"; "" for a file that does not parse
    message: str


def gitlab_ci_errors(files: list[Path], timeout: float = 120) -> list[SchemaError]:
    """Every schema violation in the files (empty when all pass); RuntimeError when the tool cannot run."""
    if not files:
        return []
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.gitlab-ci"]
    command += ["--data-transform", "gitlab-ci", "-o", "json", *map(str, files)]
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise RuntimeError(f"check-jsonschema did not run ({error})") from None
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError:
        said = [line.strip() for line in completed.stderr.splitlines() if line.strip()][-1:] or ["no report"]
        raise RuntimeError(f"check-jsonschema did not run ({said[0]})") from None
    errors = [
        SchemaError(Path(e["filename"]), str(e.get("path", "")), str(e["message"])) for e in report.get("errors", [])
    ]
    errors += [SchemaError(Path(e["filename"]), "", str(e["message"])) for e in report.get("parse_errors", [])]
    return errors
