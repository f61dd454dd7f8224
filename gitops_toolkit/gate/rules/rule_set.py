"""Stage 6: rules as pure functions over an index of every rendered resource. Each returns findings with
a stable ID, the source file and line, the resource, and a message that says what to change."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from gitops_toolkit.core.findings import Finding, contained, unique_sorted
from gitops_toolkit.core.gate_settings import GateConfig
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.gate.rules import (
    images,
    network_policies,
    pod_security,
    rbac,
    references,
    secrets,
    workload_security,
)
from gitops_toolkit.gate.rules.cluster import capacity
from gitops_toolkit.gate.rules.gitops import applications, projects, rollouts, sync
from gitops_toolkit.gate.rules.index import ResourceIndex, namespace_of
from gitops_toolkit.gate.rules.observability import collectors, conventions, monitor_selection, unwatched
from gitops_toolkit.gate.rules.repository_facts import RepositoryFacts
from gitops_toolkit.gate.rules.suppressions import apply_suppressions

Rule = Callable[[ResourceIndex], Iterator[Finding]]

RULE_FUNCTIONS: tuple[Rule, ...] = (
    workload_security.check_run_as_non_root,
    workload_security.check_privilege_escalation,
    workload_security.check_privileged,
    workload_security.check_capabilities,
    workload_security.check_seccomp,
    workload_security.check_host_namespaces,
    workload_security.check_host_path,
    workload_security.check_host_port,
    workload_security.check_read_only_root_filesystem,
    pod_security.check_apparmor,
    pod_security.check_selinux,
    pod_security.check_sysctls,
    pod_security.check_proc_mount,
    pod_security.check_host_process,
    pod_security.check_probe_hosts,
    pod_security.check_volume_types,
    pod_security.check_service_types,
    workload_security.check_resources,
    workload_security.check_probes_present,
    workload_security.check_probe_ports,
    workload_security.check_service_account,
    workload_security.check_service_account_token,
    images.check_image_tags,
    images.check_image_registries,
    images.check_image_pull_secrets,
    references.check_service_selectors,
    references.check_service_target_ports,
    references.check_addresses,
    references.check_config_references,
    references.check_hpa_targets,
    references.check_pod_disruption_budgets,
    references.check_duplicate_env,
    references.check_duplicate_resources,
    network_policies.check_default_deny,
    network_policies.check_pods_selected,
    network_policies.check_calls_allowed,
    network_policies.check_dns_allowed,
    secrets.check_generated_secrets,
    secrets.check_config_maps,
    secrets.check_env_values,
    secrets.check_annotations,
    secrets.check_application_values,
    rbac.check_secrets_cluster_wide,
    rbac.check_wildcards,
    rbac.check_cluster_admin_bindings,
    rbac.check_everyone_bindings,
    capacity.check_capacity,
    projects.check_projects,
    projects.check_sources_allowed,
    projects.check_destination_allowed,
    applications.check_source_paths,
    applications.check_values_files,
    applications.check_chart_versions,
    applications.check_external_revisions,
    projects.check_project_wildcards,
    sync.check_sync_waves,
    sync.check_shared_resources,
    sync.check_notification_once_per,
    sync.check_sync_wave_values,
    sync.check_sync_options,
    applications.check_destination_form,
    applications.check_application_names,
    sync.check_prune_protection,
    applications.check_sync_policies,
    applications.check_ignored_replicas,
    rollouts.check_rollout_route_ownership,
    rollouts.check_rollout_plugins_loaded,
    applications.check_retired_components,
    conventions.check_alert_conventions,
    conventions.check_dashboards,
    conventions.check_metrics_scraped,
    monitor_selection.check_monitors_selected,
    conventions.check_scrape_reachable,
    collectors.check_daemonset_collectors,
    unwatched.check_components_watched,
    conventions.check_datasource_files,
    conventions.check_default_datasources,
    conventions.check_datasource_urls,
)


# How this repository writes its own workloads, beyond what the API server enforces (hardening, probes,
# network-policy coverage, our alert conventions, Secrets in git): upstream chart templates are not ours to
# rewrite, so their workloads are judged by Pod Security at the level their namespace enforces instead. Requests
# and memory limits are the exception: every chart exposes them as values, and the capacity rules need them.
AUTHORED_ONLY: frozenset[Rule] = frozenset(
    {
        workload_security.check_read_only_root_filesystem,
        workload_security.check_probes_present,
        workload_security.check_probe_ports,
        workload_security.check_service_account,
        workload_security.check_service_account_token,
        pod_security.check_service_types,
        network_policies.check_default_deny,
        network_policies.check_pods_selected,
        network_policies.check_calls_allowed,
        network_policies.check_dns_allowed,
        secrets.check_generated_secrets,
        conventions.check_alert_conventions,
    }
)
# Pod Security Standards controls, by the lowest level that enforces them.
BASELINE: frozenset[Rule] = frozenset(
    {
        workload_security.check_privileged,
        workload_security.check_host_namespaces,
        workload_security.check_host_path,
        workload_security.check_host_port,
        pod_security.check_apparmor,
        pod_security.check_selinux,
        pod_security.check_sysctls,
        pod_security.check_proc_mount,
        pod_security.check_host_process,
        pod_security.check_probe_hosts,
    }
)
RESTRICTED: frozenset[Rule] = BASELINE | {
    workload_security.check_run_as_non_root,
    workload_security.check_privilege_escalation,
    workload_security.check_capabilities,
    workload_security.check_seccomp,
    pod_security.check_volume_types,
}
_ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"


def run_rules(
    resources: Iterable[Resource],
    config: GateConfig,
    broken: Iterable[Resource] = (),
    repository: RepositoryFacts | None = None,
) -> list[Finding]:
    """Every rule over the resources; those in `broken` (failed their schema) are looked up, not checked.
    Chart output is checked by the rules outside AUTHORED_ONLY, and by the Pod Security rules of the level
    its namespace enforces."""
    resources, broken = list(resources), list(broken)
    everything = ResourceIndex(resources, config, broken, repository)
    authored = [resource for resource in resources if not resource.third_party]
    third_party = [resource for resource in resources if resource.third_party]

    def checking(checked: list[Resource]) -> ResourceIndex:
        """An index that sees every resource and checks only `checked`."""
        chosen = {id(resource) for resource in checked}
        return ResourceIndex(resources, config, [*broken, *(r for r in resources if id(r) not in chosen)], repository)

    def enforcing(*levels: str) -> list[Resource]:
        return [r for r in third_party if everything.namespace_labels(namespace_of(r)).get(_ENFORCE_LABEL) in levels]

    ours = AUTHORED_ONLY | RESTRICTED
    plan: list[tuple[ResourceIndex, list[Rule]]] = [
        (checking(authored) if third_party else everything, [rule for rule in RULE_FUNCTIONS if rule in ours]),
        (everything, [rule for rule in RULE_FUNCTIONS if rule not in ours]),
    ]
    if third_party:
        plan += [
            (checking(enforcing("baseline", "restricted")), [rule for rule in RULE_FUNCTIONS if rule in BASELINE]),
            (checking(enforcing("restricted")), [rule for rule in RULE_FUNCTIONS if rule in RESTRICTED - BASELINE]),
        ]
    findings = [
        finding
        for index, rules in plan
        for rule in rules
        for finding in contained(_module_file(rule), f"rule {rule.__name__}", rule, index)
    ]
    return apply_suppressions(unique_sorted(findings), everything)


def _module_file(rule: Rule) -> str:
    """Where a rule lives, for a finding about the rule itself."""
    return rule.__module__.replace(".", "/") + ".py"
