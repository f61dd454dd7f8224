"""The operator's verbs. Each task parses its options and calls the library in gitops_toolkit."""

from __future__ import annotations

from pathlib import Path

from invoke.collection import Collection
from invoke.context import Context
from invoke.program import Program
from invoke.tasks import task

from gitops_toolkit.checks.drill.settings import DEFAULT_TIMEOUTS as DRILLS
from gitops_toolkit.verbs.hosts import (
    backup,
    bootstrap,
    certs,
    node_remove,
    reset,
    restore,
    seal_platform,
    upgrade,
)
from gitops_toolkit.verbs.options import CONTEXT_HELP, KUBECONFIG_HELP, finish, number, required, required_path

REPOSITORY = Path(__file__).resolve().parent


@task(
    auto_shortflags=False,  # -h is help, never --helm
    iterable=["crd_dir", "report"],
    help={
        "crd-dir": "extra directory searched recursively for CRD YAML (repeatable; gitops-repo/crds/ is always used)",
        "format": "report format: text, json, markdown, junit or codequality (GitLab Code Quality)",
        "output": "write the report to this file instead of standard output",
        "root": "repository to validate (default: the one holding this tasks.py)",
        "jobs": "entry points rendered in parallel (default: one per CPU)",
        "helm": "render charts with this helm binary instead of Helm's engine in-process (helm-python-sdk)",
        "report": "also write a report of the same run as FORMAT=FILE (repeatable), e.g. junit=gate-junit.xml",
        "inventory": "the inventory whose machines the capacity rules place the pods on (default: the site setting)",
        "kube-version": "validate for this Kubernetes minor, e.g. the one you upgrade to (default: the inventory's "
        "cluster version, else the pinned one)",
        "changed-since": "a git ref (a merge request's base): say which entry points the change since then touches",
        "shard": "I/N: check only this stable share of the entry points, for --merge-reports (e.g. 2/4)",
        "shard-dir": "where --shard leaves its record for the merge (default: gate-shards)",
        "merge-reports": "the folder the shards wrote: one report of the whole repository, every render reused",
    },
)
def validate(
    c: Context,
    crd_dir: list[str] | None = None,
    format: str = "text",
    output: str = "",
    root: str = "",
    jobs: str = "0",
    helm: str = "",
    report: list[str] | None = None,
    inventory: str = "",
    kube_version: str = "",
    changed_since: str = "",
    shard: str = "",
    shard_dir: str = "gate-shards",
    merge_reports: str = "",
) -> None:
    """Render everything Argo CD would deploy and check it offline (exit 0 clean, 1 findings, 2 could not run)."""
    from gitops_toolkit.gate.command import validate_command

    finish(
        validate_command(
            root=Path(root) if root else REPOSITORY,
            crd_dirs=[Path(directory) for directory in crd_dir or []],
            output_format=format,
            output=Path(output) if output else None,
            jobs=int(number("validate", "jobs", jobs, int, 0)),
            helm_binary=Path(helm) if helm else None,
            reports=tuple(report or []),
            inventory=Path(inventory) if inventory else None,
            kubernetes_version=kube_version,
            changed_since=changed_since,
            shard=shard,
            shard_dir=Path(shard_dir),
            merge_reports=Path(merge_reports) if merge_reports else None,
        )
    )


@task(
    name="fetch",
    help={
        "root": "repository whose gitops-repo/crds.lock.yaml to read",
        "repin": "record the sha256 of what the URLs serve now (after changing a URL to a new version)",
    },
)
def fetch_crds(c: Context, root: str = "", repin: bool = False) -> None:
    """Refresh gitops-repo/crds/ from the URLs gitops-repo/crds.lock.yaml pins, checking every sha256."""
    from gitops_toolkit.locks.crds.command import fetch_command

    finish(fetch_command(Path(root) if root else REPOSITORY, repin=repin))


@task(
    name="fetch",
    help={
        "root": "repository whose Applications and gitops-repo/charts.lock.yaml to read",
        "repin": "record the sha256 of what the chart repositories serve now (after a chart was re-published)",
    },
)
def fetch_charts(c: Context, root: str = "", repin: bool = False) -> None:
    """Vendor and pin every chart version the Applications pin, each checked against its repository and the lock."""
    from gitops_toolkit.locks.charts.command import fetch_command as fetch_charts_command

    finish(fetch_charts_command(Path(root) if root else REPOSITORY, repin=repin))


@task
def setup(c: Context) -> None:
    """Install the Debian packages the gate and the tests run (promtool, amtool, Prometheus, Alertmanager)
    when missing; without root it says what to install and the gate warns where it could not check."""
    from gitops_toolkit.tools.system_packages import install_missing

    finish(install_missing(required=False))


@task(
    help={
        "repository-url": "the URL Argo CD clones this repository from",
        "domain": "the DNS domain the shared Gateway answers for (hosts are shop.DOMAIN, argocd.DOMAIN, ...)",
        "lan-range": "addresses MetalLB may hand out, FIRST-LAST or a CIDR, unused by your DHCP server",
    }
)
def site(c: Context, repository_url: str = "", domain: str = "", lan_range: str = "") -> None:
    """Set your site's repository URL, domain and LAN range everywhere they appear (all files or none)."""
    from gitops_toolkit.alerts.site import site_command

    finish(site_command(REPOSITORY, repository_url, domain, lan_range))


@task(name="test")
def test_alerts(c: Context) -> None:
    """Unit-test the alert rules (promtool) and Alertmanager's routes (amtool)."""
    from gitops_toolkit.alerts.command import alerts_test_command

    finish(alerts_test_command(REPOSITORY))


@task(
    name="seal",
    auto_shortflags=False,  # -h is help, never --heartbeat-url
    help={
        "cert": "the Sealed Secrets controller's certificate (kubeseal --fetch-cert > cert.pem)",
        "webhook-url": "Slack incoming webhook for the alert channels",
        "heartbeat-url": "URL the Watchdog heartbeat posts to (a dead man's switch service)",
    },
)
def seal_slack(c: Context, cert: str = "", webhook_url: str = "", heartbeat_url: str = "") -> None:
    """Seal Alertmanager's Slack webhooks for this cluster into observability/alertmanager/ (safe to commit)."""
    verb = "slack.seal"
    arguments = [
        required(verb, o, v)
        for o, v in (("cert", cert), ("webhook-url", webhook_url), ("heartbeat-url", heartbeat_url))
    ]
    from gitops_toolkit.alerts.slack import seal_slack_command

    finish(seal_slack_command(REPOSITORY, Path(arguments[0]), arguments[1], arguments[2]))


@task(
    name="bump-image",
    iterable=["set"],
    help={
        "overlay": "the overlay whose kustomization.yaml gets the tags (gitops-repo/apps/online-boutique/overlays/dev)",
        "set": "SERVICE=TAG (repeatable): TAG a 40-hex commit SHA, an exact version or a sha256: digest",
        "registry": "the registry the images now come from (newName PREFIX/SERVICE)",
        "commit": "commit the change, naming each service and tag",
        "push": "commit and push; when the remote moved, re-apply on top of it and retry",
    },
)
def bump_image(
    c: Context,
    overlay: str = "",
    set: list[str] | None = None,
    registry: str = "",
    commit: bool = False,
    push: bool = False,
) -> None:
    """Pin images of an overlay to exact tags (exit 0 done or nothing to do, 1 commit/push failed, 2 refused)."""
    where = required_path("bump-image", "overlay", overlay)
    from gitops_toolkit.delivery.bump.command import bump_image_command

    finish(bump_image_command(where, set or [], registry, commit or push, push))


@task(
    iterable=["service"],
    help={
        "from": "the overlay whose tags are promoted (dev)",
        "to": "the overlay that gets them (prod)",
        "service": "promote this service only (repeatable; default: every service the source pins)",
        "push": "push the new branch to origin",
        "root": "the checkout to work in (default: the one holding this tasks.py)",
    },
)
def promote(
    c: Context,
    from_: str = "dev",
    to: str = "prod",
    service: list[str] | None = None,
    push: bool = False,
    root: str = "",
) -> None:
    """Copy the image tags of one overlay to another on a new branch, ready for a merge request."""
    from gitops_toolkit.delivery.bump.command import promote_command

    finish(promote_command(Path(root) if root else REPOSITORY, from_, to, service or [], push))


@task(
    auto_shortflags=False,  # -h is help, never --head
    help={
        "base": "the ref to compare from (a branch, tag or commit)",
        "head": "the ref to compare to (default: the working tree as it is)",
        "format": "text, markdown (a merge-request note) or json",
        "exit-code": "exit 1 when there are differences, like git diff --exit-code",
        "output": "write the report to this file instead of standard output",
        "root": "the repository to compare in (default: the one holding this tasks.py)",
        "note": "also post it on the merge request as one note, updated in place (in a GitLab CI job)",
    },
)
def diff(
    c: Context,
    base: str = "",
    head: str = "",
    format: str = "text",
    exit_code: bool = False,
    output: str = "",
    root: str = "",
    note: bool = False,
) -> None:
    """What a change does to the cluster: resources added, changed, removed, rendered as the gate renders."""
    where = Path(root) if root else REPOSITORY
    required("diff", "base", base)
    from gitops_toolkit.delivery.diff.command import diff_command

    finish(diff_command(where, base, head, format, exit_code, Path(output) if output else None, note))


@task(
    help={
        "url": "the shop, e.g. https://shop.DOMAIN (through the shared Gateway)",
        "users": "simulated shoppers",
        "spawn-rate": "shoppers started per second",
        "duration": "how long, as Locust writes it: 30s, 2m",
        "max-p95-ms": "exit 1 when the 95th percentile latency exceeds this (milliseconds)",
        "max-error-rate": "exit 1 when more than this ratio of requests fail (0.01 is 1%)",
        "output-dir": "where the CSV, samples and PNG go (default: a new folder under reports/, which git ignores)",
        "kubeconfig": "the cluster whose HPAs and pod CPU are sampled; " + KUBECONFIG_HELP,
        "context": CONTEXT_HELP,
    }
)
def loadtest(
    c: Context,
    url: str = "",
    users: str = "20",
    spawn_rate: str = "5",
    duration: str = "2m",
    max_p95_ms: str = "1000",
    max_error_rate: str = "0.01",
    output_dir: str = "",
    kubeconfig: str = "",
    context: str = "",
) -> None:
    """Load the shop with Online Boutique's shopper journey (exit 0 within the thresholds, 1 beyond, 2 error)."""
    verb = "loadtest"
    from gitops_toolkit.checks.loadtest.command import loadtest_command

    finish(
        loadtest_command(
            REPOSITORY,
            required(verb, "url", url),
            int(number(verb, "users", users, int, 1)),
            number(verb, "spawn-rate", spawn_rate, float, 0.001),
            duration,
            number(verb, "max-p95-ms", max_p95_ms, float, 0),
            number(verb, "max-error-rate", max_error_rate, float, 0),
            output_dir,
            kubeconfig,
            context,
        )
    )


@task(
    help={
        "kubeconfig": KUBECONFIG_HELP,
        "context": CONTEXT_HELP,
        "url": "the shop through the shared Gateway, e.g. http://shop.DOMAIN (default: the HTTPRoute's host name)",
        "format": "text, json or junit",
        "output": "write the report to this file (the diagnostics bundle goes beside it)",
        "namespace": "where Online Boutique runs: online-boutique (prod) or online-boutique-dev",
        "inventory": "check the platform host too (GitLab, registry trust and pulls, runner, synced revision)",
    }
)
def smoke(
    c: Context,
    kubeconfig: str = "",
    context: str = "",
    url: str = "",
    format: str = "text",
    output: str = "",
    namespace: str = "online-boutique",
    inventory: str = "",
) -> None:
    """Is the platform working? Cluster, shop and observability checks (exit 0 all pass, 1 any fails, 2 unreachable)."""
    from gitops_toolkit.checks.smoke.command import smoke_command

    finish(smoke_command(REPOSITORY, kubeconfig, context, url, format, output, namespace, inventory_file=inventory))


@task(
    help={
        "name": f"the drill: {', '.join(DRILLS)}",
        "timeout": "seconds each wait may take (default: selfheal/drift 300, rollout 600, alert 1200, canary 1800)",
        "kubeconfig": KUBECONFIG_HELP,
        "context": CONTEXT_HELP,
        "format": "text, json or junit",
        "namespace": "where Online Boutique runs (selfheal, drift)",
        "overlay": "rollout, canary: the overlay bumped and pushed (default: dev; canary: prod); its namespace is read",
        "service": "rollout: the Deployment rolled",
        "tag": "rollout, canary: the (good) tag or sha256: digest to release (default: the digest its pods run)",
        "bad_tag": "canary: a tag whose pods answer errors, to see the canary abort first (default: none)",
        "good_tag": "canary: the same as --tag",
    }
)
def drill(
    c: Context,
    name: str,
    timeout: str = "0",
    kubeconfig: str = "",
    context: str = "",
    format: str = "text",
    namespace: str = "online-boutique",
    overlay: str = "",
    service: str = "frontend",
    tag: str = "",
    bad_tag: str = "",
    good_tag: str = "",
) -> None:
    """An operational drill on the running cluster, cleaned up after (exit 0 pass, 1 fail, 2 could not run)."""
    if name in ("--help", "-h"):  # the drill's name is positional, so invoke hands `--help` over as the name
        Program().run(["invoke", "--search-root", str(REPOSITORY), "--help", "drill"], exit=True)
        return
    seconds = number("drill", "timeout", timeout, float, 0)
    from gitops_toolkit.checks.drill.command import drill_command

    finish(
        drill_command(
            REPOSITORY,
            name,
            seconds,
            kubeconfig,
            context,
            format,
            overlay,
            service,
            tag or good_tag,
            namespace,
            bad_tag,
        )
    )


namespace = Collection(
    setup,
    validate,
    site,
    bootstrap,
    certs,
    backup,
    restore,
    upgrade,
    reset,
    bump_image,
    promote,
    diff,
    loadtest,
    smoke,
    drill,
    Collection("crds", fetch_crds),
    Collection("charts", fetch_charts),
    Collection("alerts", test_alerts),
    Collection("slack", seal_slack),
    Collection("platform", seal_platform),
    Collection("node", node_remove),
)
namespace.configure({"repository": str(REPOSITORY)})  # the verbs of gitops_toolkit.verbs work on this checkout
