"""`invoke slack.seal`: the Slack webhooks Alertmanager posts to, sealed for this cluster and committed as
a SealedSecret (observability/alertmanager/), never in clear."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from gitops_toolkit.core.atomic_files import write_atomic
from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.core.sealing import listed_in, public_key, sealed_secret

DIRECTORY = Path("observability/alertmanager")
FILE_NAME = "slack-webhooks.sealedsecret.yaml"
SECRET, NAMESPACE = "alertmanager-slack", "monitoring"
HEADER = (
    "# Alertmanager's Slack webhooks, sealed with the cluster's Sealed Secrets certificate by `invoke slack.seal`.\n"
    "# Only that controller can decrypt them. Mounted at /etc/alertmanager/slack/ (see values.yaml).\n"
    "# Ciphertext cannot be wrapped:\n"
    "# yamllint disable rule:line-length\n"
)


def seal_slack_command(root: Path, certificate: Path, webhook_url: str, heartbeat_url: str) -> int:
    try:
        for label, url in (("--webhook-url", webhook_url), ("--heartbeat-url", heartbeat_url)):
            if not url.startswith("https://"):
                raise ToolError(f"{label} must be an https:// URL")
        if not certificate.is_file():
            raise ToolError(
                f"--cert {certificate}: no such file (fetch it with `kubeseal --fetch-cert > {certificate}`)"
            )
        key = public_key(certificate.read_bytes())
        document = sealed_secret(key, NAMESPACE, SECRET, {"webhook-url": webhook_url, "heartbeat-url": heartbeat_url})
        kustomization = root / DIRECTORY / "kustomization.yaml"
        listed = listed_in(kustomization, FILE_NAME)
        write_atomic(root / DIRECTORY / FILE_NAME, HEADER + yaml.safe_dump(document, sort_keys=False))
        write_atomic(kustomization, listed)
    except (ToolError, OSError) as error:
        print(f"slack.seal: {error}", file=sys.stderr)
        return 2
    print(f"sealed {SECRET} into {DIRECTORY / FILE_NAME}; commit it (it is safe in git)")
    return 0
