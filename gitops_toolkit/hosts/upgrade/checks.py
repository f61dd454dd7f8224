"""What must hold before an upgrade changes anything, and the inventory's version moved once it is done."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

from ruamel.yaml import YAML

from gitops_toolkit.core.atomic_files import write_atomic
from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.core.rule_catalog import Severity
from gitops_toolkit.core.versions import version_key
from gitops_toolkit.gate.pipeline import GateOptions, run_gate
from gitops_toolkit.gate.schema.api_lifecycle import shipped_versions
from gitops_toolkit.hosts.bootstrap.cluster_steps import KUBECTL
from gitops_toolkit.hosts.inventory import Host
from gitops_toolkit.hosts.probe import targets
from gitops_toolkit.tools.ssh import SshSession

_SHOWN = 3
# apiserver_requested_deprecated_apis{group="policy",removed_release="1.25",resource="podsecuritypolicies",...} 1
_DEPRECATED_SERIES = re.compile(r"^apiserver_requested_deprecated_apis\{([^}]*)\}\s+1(?:\.0)?\s*$")
_LABEL = re.compile(r'(\w+)="([^"]*)"')


def gate_errors(root: Path, target_minor: str) -> list[str]:
    """The repository's gate errors at the target's Kubernetes version (the gate's schemas for it, its rules)."""
    if target_minor not in shipped_versions():
        raise ToolError(
            f"no Kubernetes {target_minor} schemas to check the repository against (the gate has "
            f"{shipped_versions()[0]} to {shipped_versions()[-1]}); update kubernetes-validate first"
        )
    result = run_gate(GateOptions(root=root, kubernetes_version=target_minor))
    errors = [f for f in result.findings if f.severity == Severity.ERROR]
    shown = "; ".join(f"{f.path}:{f.line}: {f.rule} {f.message}" for f in errors[:_SHOWN])
    more = f" and {len(errors) - _SHOWN} more" if len(errors) > _SHOWN else ""
    return (
        [f"UPGRADE-GATE error: `invoke validate --kube-version {target_minor}` fails: {shown}{more}"] if errors else []
    )


def deprecated_in_use(session: SshSession, first: Host, target_minor: str, timeout: float) -> list[str]:
    """Deprecated APIs clients still request (the API server's own count) that the target release removes."""
    command = f"{KUBECTL} get --raw /metrics 2>/dev/null | grep '^apiserver_requested_deprecated_apis' ; echo"
    answer = session.run_command(targets([first]), command, timeout)[first.name]
    if answer.error:
        raise ToolError(f"{first.name} ({first.address}): cannot read the API server's metrics: {answer.error}")
    removed = []
    for line in (answer.output or "").splitlines():
        match = _DEPRECATED_SERIES.match(line.strip())
        if not match:
            continue
        labels = dict(_LABEL.findall(match[1]))
        release = labels.get("removed_release", "")
        if release and version_key(release) <= version_key(target_minor):
            api = "/".join(part for part in (labels.get("group"), labels.get("version")) if part)
            removed.append(f"{labels.get('resource')} {api} (removed in {release})")
    if not removed:
        return []
    return [
        f"UPGRADE-DEPRECATED-API-IN-USE error: clients of the cluster still request {', '.join(sorted(removed))}; "
        "move them to the replacement first (the API server's apiserver_requested_deprecated_apis)"
    ]


def move_inventory_version(inventory_file: Path, target: str) -> None:
    """The inventory's cluster.kubernetesVersion set to `target`, everything else as it was."""
    editor = YAML()
    editor.preserve_quotes = True
    editor.width = 4096
    editor.indent(mapping=2, sequence=4, offset=2)
    document = editor.load(inventory_file.read_text(encoding="utf-8"))
    document["cluster"]["kubernetesVersion"] = target
    buffer = StringIO()
    editor.dump(document, buffer)
    write_atomic(inventory_file, buffer.getvalue())
