"""`invoke platform.seal`: the credentials the bootstrap applied as plain Secrets (Argo CD's for gitops-repo, each
shop namespace's image pull Secret), sealed for the cluster's Sealed Secrets controller and written into git, where
they replace those Secrets once synced. The tokens are read from the platform host over SSH into memory; only
ciphertext reaches the disk. Exit 0 sealed, 1 the platform has not made the tokens yet, 2 wrong input."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from gitops_toolkit.core.atomic_files import write_atomic
from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.core.sealing import listed_in, public_key, sealed_secret
from gitops_toolkit.hosts.bootstrap.argo_cd import site_inventory
from gitops_toolkit.hosts.bootstrap.cluster_steps import ClusterInputs
from gitops_toolkit.hosts.bootstrap.credentials import REPOSITORY_NAMESPACE, Credential, shop_destinations
from gitops_toolkit.hosts.bootstrap.platform_plan import with_platform_credentials
from gitops_toolkit.tools.ssh import SshSession

CREDENTIALS_DIRECTORY = Path("gitops-repo") / "platform" / "credentials" / "sealed"
HEADER = (
    "# Secret {where}, sealed with the cluster's Sealed Secrets certificate by `invoke platform.seal`.\n"
    "# Only that controller can decrypt it. Seal again after the token changes (`invoke bootstrap` makes it).\n"
    "# Ciphertext cannot be wrapped:\n"
    "# yamllint disable rule:line-length\n"
)


def _sealed_files(root: Path, certificate: Path, credentials: tuple[Credential, ...]) -> dict[Path, str]:
    """Every file to write (SealedSecrets and the kustomizations that list them), computed before any is written."""
    key = public_key(certificate.read_bytes())
    overlays = dict(shop_destinations(root))
    files: dict[Path, str] = {}
    for credential in credentials:
        # Argo CD's beside the platform's credentials, a pull Secret in the overlay of its namespace
        in_argocd = credential.namespace == REPOSITORY_NAMESPACE
        directory = root / (CREDENTIALS_DIRECTORY if in_argocd else overlays[credential.namespace])
        name = f"{credential.name}.sealedsecret.yaml"
        document = sealed_secret(
            key, credential.namespace, credential.name, credential.values, credential.secret_type, credential.labels
        )
        where = f"{credential.namespace}/{credential.name}"
        files[directory / name] = HEADER.format(where=where) + yaml.safe_dump(document, sort_keys=False)
        kustomization = directory / "kustomization.yaml"
        files[kustomization] = listed_in(kustomization, name, files.get(kustomization))
    return files


def seal_platform_command(root: Path, inventory_file: Path, certificate: Path, connect_timeout: float = 5.0) -> int:
    try:
        inventory = site_inventory(inventory_file, root)
        if inventory.platform is None or inventory.platform_host is None:
            raise ToolError(f"{inventory_file}: no platform host; its credentials are the ones to seal")
        if not certificate.is_file():
            raise ToolError(
                f"--cert {certificate}: no such file (fetch it with `kubeseal --controller-name sealed-secrets "
                f"--controller-namespace kube-system --fetch-cert > {certificate}`)"
            )
        public_key(certificate.read_bytes())  # a bad certificate stops the verb before any connection
    except ToolError as error:
        print(f"platform.seal: {error}", file=sys.stderr)
        return 2
    try:
        with SshSession() as session:
            inputs = with_platform_credentials(root, inventory, ClusterInputs(()), session, connect_timeout)
    except ToolError as error:
        print(f"platform.seal: {error}", file=sys.stderr)
        return 1
    pending = [credential.summary for credential in inputs.credentials if credential.pending]
    if pending:
        print(f"platform.seal: not made yet ({'; '.join(pending)}); run `invoke bootstrap` first", file=sys.stderr)
        return 1
    try:
        files = _sealed_files(root, certificate, inputs.credentials)
        for path, text in files.items():
            write_atomic(path, text)
    except (ToolError, OSError) as error:
        print(f"platform.seal: {error}", file=sys.stderr)
        return 2
    for path in files:
        print(f"wrote {path.relative_to(root)}")
    print("review and commit them (they are safe in git); once synced they replace the Secrets made at bring-up")
    return 0
