"""The Kubernetes version is said in one place; the installed kubectl and schemas must agree with it."""

from __future__ import annotations

import json
import subprocess
from importlib.metadata import version

from gitops_toolkit.core.versions import KUBERNETES_VERSION
from gitops_toolkit.tools.kubectl import kubectl_path


def test_installed_kubectl_matches_the_pinned_kubernetes_version() -> None:
    output = subprocess.run(
        [str(kubectl_path()), "version", "--client", "--output", "json"], capture_output=True, text=True, check=True
    ).stdout
    client = json.loads(output)["clientVersion"]
    assert f"{client['major']}.{client['minor']}" == KUBERNETES_VERSION


def test_installed_schemas_match_the_pinned_kubernetes_version() -> None:
    assert version("kubernetes-validate").startswith(f"{KUBERNETES_VERSION}.")
