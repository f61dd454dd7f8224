"""`invoke smoke`: is the platform working? The cluster's checks, the shop through the shared Gateway (a
shopper's whole journey), the observability stack, and with `--inventory` the hosts over SSH: the cluster's
certificates, and the platform host (GitLab, its registry as the nodes and the pull Secret see it, the runner,
what Argo CD synced). Exit 0 all pass, 1 any fails (with a
diagnostics bundle), 2 the cluster could not be reached or the inventory is wrong."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path

from gitops_toolkit.checks.smoke.certificate_check import certificate_check
from gitops_toolkit.checks.smoke.cluster_checks import cluster_checks
from gitops_toolkit.checks.smoke.entry_journey import entry_checks
from gitops_toolkit.checks.smoke.observability_checks import observability_checks
from gitops_toolkit.checks.smoke.outcome import conclude, format_problem
from gitops_toolkit.checks.smoke.platform_checks import platform_checks
from gitops_toolkit.checks.smoke.result import FAIL, CheckResult
from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.hosts.bootstrap.argo_cd import site_inventory
from gitops_toolkit.hosts.inventory import Inventory
from gitops_toolkit.tools.cluster_api import ClusterApi, ClusterError
from gitops_toolkit.tools.kubectl_cluster import connect
from gitops_toolkit.tools.ssh import SshSession

GATEWAY = ("envoy-gateway-system", "platform-gateway")


def shop_url(cluster: ClusterApi, shop: str) -> str:
    """http://HOST of the shop's HTTPRoute, else the Gateway's address (MetalLB's)."""
    route = cluster.get("httproute", "frontend", "-n", shop)
    if hostnames := route.get("spec", {}).get("hostnames"):
        return f"http://{hostnames[0]}"
    gateway = cluster.get("gateway", GATEWAY[1], "-n", GATEWAY[0])
    if addresses := gateway.get("status", {}).get("addresses"):
        return f"http://{addresses[0]['value']}"
    raise ClusterError(f"the HTTPRoute {shop}/frontend has no host name and the Gateway no address")


def _entry(cluster: ClusterApi, url: str, shop: str) -> list[CheckResult]:
    try:
        return entry_checks(url or shop_url(cluster, shop), shop)
    except ClusterError as error:
        return [CheckResult("ENTRY-GATEWAY-ANSWERS", FAIL, 0.0, str(error), "pass --url http://shop.DOMAIN")]


def _inventory(inventory_file: str, root: Path) -> Inventory | None:
    """The inventory whose hosts are checked too (None without --inventory)."""
    return site_inventory(Path(inventory_file), root) if inventory_file else None


def _host_checks(cluster: ClusterApi, inventory: Inventory, shop: str) -> list[CheckResult]:
    """Over SSH: the cluster's certificates, and the platform host when the inventory has one."""
    with SshSession() as session:
        results = [certificate_check(inventory, session)]
        if inventory.platform_host is not None:
            results += platform_checks(cluster, inventory, session, shop)
    return results


def smoke_command(
    root: Path,
    kubeconfig: str,
    context: str,
    url: str,
    output_format: str,
    output: str,
    shop: str = "online-boutique",
    connect_to: Callable[[str, str], ClusterApi] = connect,
    inventory_file: str = "",
) -> int:
    if problem := format_problem(output_format):
        print(f"smoke: {problem}", file=sys.stderr)
        return 2
    if url and not url.startswith(("http://", "https://")):
        print(f"smoke: --url {url}: give the shop's address as http(s)://HOST", file=sys.stderr)
        return 2
    try:
        inventory = _inventory(inventory_file, root)
        with contextlib.closing(connect_to(kubeconfig, context)) as cluster:
            results = cluster_checks(cluster) + _entry(cluster, url, shop) + observability_checks(cluster, shop)
            if inventory is not None:
                results += _host_checks(cluster, inventory, shop)
            return conclude(root, "smoke", cluster, results, output_format, output)
    except ToolError as error:  # the cluster unreachable, or a wrong inventory
        print(f"smoke: {error}", file=sys.stderr)
        return 2
