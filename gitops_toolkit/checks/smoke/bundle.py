"""The diagnostics bundle written when a check fails: node conditions, Application conditions, warning events,
and for every pod in trouble its description and log tail (the previous container's too when it crashed), with
the check results, as one .tar.gz. Everything is redacted before it is written; the archive appears whole
(atomic rename) or not at all."""

from __future__ import annotations

import io
import json
import tarfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gitops_toolkit.checks.smoke.cluster_checks import application_trouble, items, node_not_ready, pod_trouble, where
from gitops_toolkit.checks.smoke.redact import redact
from gitops_toolkit.checks.smoke.result import CheckResult
from gitops_toolkit.core.atomic_files import write_atomic
from gitops_toolkit.tools.cluster_api import ClusterApi, ClusterError

MAX_PODS = 20
LOG_LINES = 200
MAX_EVENTS = 300


def _nodes(cluster: ClusterApi) -> str:
    lines = []
    for node in cluster.get("nodes").get("items", []):
        lines.append(f"{where(node)}: {node_not_ready(node) or 'Ready'}")
        for condition in node.get("status", {}).get("conditions", []):
            lines.append(
                f"  {condition.get('type')}={condition.get('status')} {condition.get('reason', '')}: "
                f"{condition.get('message', '')}"
            )
    return "\n".join(lines)


def _applications(cluster: ClusterApi) -> str:
    lines = []
    for application in items(cluster, "applications.argoproj.io"):
        lines.append(f"{where(application)}: {application_trouble(application) or 'Synced/Healthy'}")
        for resource in application.get("status", {}).get("resources", []):
            health = resource.get("health", {})
            if resource.get("status") != "Synced" or health.get("status", "Healthy") != "Healthy":
                lines.append(
                    f"  {resource.get('kind')} {resource.get('namespace', '')}/{resource.get('name')}: "
                    f"{resource.get('status')}/{health.get('status', '')} {health.get('message', '')}"
                )
    return "\n".join(lines)


def _events(cluster: ClusterApi) -> str:
    warnings = [event for event in items(cluster, "events") if event.get("type") == "Warning"]
    warnings.sort(key=lambda event: str(event.get("lastTimestamp") or event.get("eventTime") or ""))
    return "\n".join(
        f"{event.get('lastTimestamp') or event.get('eventTime')} {event.get('involvedObject', {}).get('kind')} "
        f"{where({'metadata': event.get('involvedObject', {})})} {event.get('reason')}: {event.get('message')}"
        for event in warnings[-MAX_EVENTS:]
    )


def _pods_in_trouble(cluster: ClusterApi) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return [pod for pod in items(cluster, "pods") if pod_trouble(pod, now)][:MAX_PODS]


def _pod_files(cluster: ClusterApi, pod: dict[str, Any]) -> dict[str, str]:
    namespace, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
    files = {f"pods/{namespace}_{name}.describe.txt": cluster.text("describe", "pod", name, "-n", namespace)}
    for previous in (False, True):
        arguments = ["logs", name, "-n", namespace, "--all-containers", f"--tail={LOG_LINES}"]
        try:
            log = cluster.text(*arguments, *(["--previous"] if previous else []))
        except ClusterError as error:  # no previous container, or not started yet
            log = f"(no log: {error})"
        files[f"pods/{namespace}_{name}.{'previous' if previous else 'current'}.log"] = log
    return files


def collect(cluster: ClusterApi, results: list[CheckResult]) -> dict[str, str]:
    """{file name in the archive: its text}; a part the cluster would not give says why instead."""
    files = {"checks.json": json.dumps([asdict(result) for result in results], indent=2)}
    for name, part in (("nodes.txt", _nodes), ("applications.txt", _applications), ("events.txt", _events)):
        try:
            files[name] = part(cluster)
        except ClusterError as error:
            files[name] = f"(not collected: {error})"
    try:
        for pod in _pods_in_trouble(cluster):
            files.update(_pod_files(cluster, pod))
    except ClusterError as error:
        files["pods/not-collected.txt"] = str(error)
    return files


def write_bundle(directory: Path, prefix: str, files: dict[str, str]) -> Path:
    """The redacted files as DIRECTORY/PREFIX-<timestamp>.tar.gz."""
    path = directory / f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}.tar.gz"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in sorted(files.items()):
            data = redact(text).encode()
            member = tarfile.TarInfo(f"{path.name.removesuffix('.tar.gz')}/{name}")
            member.size, member.mtime, member.mode = len(data), int(time.time()), 0o600
            archive.addfile(member, io.BytesIO(data))
    write_atomic(path, buffer.getvalue())
    path.chmod(0o600)
    return path
