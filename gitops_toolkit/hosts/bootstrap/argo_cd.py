"""What the bootstrap applies to hand the cluster to Argo CD: Argo CD's CRDs, its chart rendered exactly as the
self-managed `argo-cd` Application renders it (same archive, values, release name and namespace, so that Argo CD
adopts these objects instead of deploying a second copy), and the root Application."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from gitops_toolkit.core.bounded_yaml import YamlRejected, load_trusted_yaml, load_yaml_file
from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.hosts.inventory import Inventory, load_inventory
from gitops_toolkit.render.crds.lock import VENDORED_DIRECTORY
from gitops_toolkit.render.read.manifest_text import split_documents, top_level
from gitops_toolkit.render.single_source import RenderError, render_application_chart

ARGO_CD_APPLICATION = Path("gitops-repo") / "platform" / "argo-cd" / "application.yaml"
ARGO_CD_CRDS = Path(VENDORED_DIRECTORY) / "argo-cd-crds"
ROOT_APPLICATION = Path("gitops-repo") / "root" / "root-application.yaml"


@dataclass(frozen=True)
class Manifest:
    name: str  # what the operator reads: "Argo CD 10.1.1 (chart)"
    text: str

    def objects(self) -> str:
        """What it holds, counted by kind: "3 CustomResourceDefinition" (read from each document's text, and
        parsed only when its layout is unusual)."""
        kinds: Counter[str] = Counter()
        for document in split_documents(self.text):
            identity = top_level(document)
            if identity:
                kinds[identity[1]] += 1
            else:
                kinds.update(str(item.get("kind")) for item in load_trusted_yaml(document) if isinstance(item, dict))
        return ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))


def _application(root: Path, relative: Path) -> Resource:
    try:
        documents = load_yaml_file(root / relative)
    except (OSError, YamlRejected) as error:
        raise ToolError(f"{relative}: cannot read it ({error})") from None
    document = documents[0]
    return Resource(document.data, str(relative), str(relative), document.line, document)


def root_repository_url(root: Path) -> str:
    """The repository the root Application reads: the one Argo CD needs a credential for."""
    try:
        spec = _application(root, ROOT_APPLICATION).obj.get("spec") or {}
    except ToolError:
        return ""
    return str((spec.get("source") or {}).get("repoURL") or "")


def site_inventory(inventory_file: Path, root: Path) -> Inventory:
    """The inventory every host verb reads; its repository URL defaults to the one the root Application reads."""
    return load_inventory(inventory_file, root, root_repository_url(root))


def argo_cd_crds(root: Path) -> Manifest:
    files = sorted((root / ARGO_CD_CRDS).glob("*.yaml"))
    if not files:
        raise ToolError(f"{ARGO_CD_CRDS}: no CRDs; run `invoke crds.fetch`")
    return Manifest("Argo CD's CRDs", "---\n".join(path.read_text(encoding="utf-8") for path in files))


def argo_cd_chart(root: Path, kubernetes_version: str) -> Manifest:
    """The argo-cd Application's chart, rendered into its namespace (the Namespace itself first)."""
    application = _application(root, ARGO_CD_APPLICATION)
    try:
        chart = render_application_chart(application, root, kubernetes_version, [argo_cd_crds(root).text])
    except RenderError as error:
        raise ToolError(f"{ARGO_CD_APPLICATION}: {error}") from None
    namespace = yaml.safe_dump({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": chart.namespace}})
    texts = [namespace] + [text for _, text in chart.templates if text.strip()]
    name = f"Argo CD (chart {chart.chart}, release {chart.release} in {chart.namespace})"
    return Manifest(name, "---\n".join(texts))


def root_application(root: Path) -> Manifest:
    return Manifest("the root Application", (root / ROOT_APPLICATION).read_text(encoding="utf-8"))
