"""Stage 6: rules as pure functions over an index of every rendered resource. Each returns findings with
a stable ID, the source file and line, the resource, and a message that says what to change."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from gitops_toolkit.gate.config import GateConfig
from gitops_toolkit.gate.findings import Finding, contained
from gitops_toolkit.gate.repository_facts import RepositoryFacts
from gitops_toolkit.gate.resource import Resource
from gitops_toolkit.gate.rules import (
    gitops,
    images,
    network_policies,
    observability,
    pod_security,
    references,
    secrets,
    workload_security,
)
from gitops_toolkit.gate.rules.index import ResourceIndex
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
    gitops.check_projects,
    gitops.check_sources_allowed,
    gitops.check_destination_allowed,
    gitops.check_source_paths,
    gitops.check_values_files,
    gitops.check_chart_versions,
    gitops.check_external_revisions,
    gitops.check_project_wildcards,
    gitops.check_sync_waves,
    gitops.check_sync_wave_values,
    gitops.check_sync_options,
    gitops.check_destination_form,
    gitops.check_application_names,
    gitops.check_prune_protection,
    gitops.check_sync_policies,
    gitops.check_ignored_replicas,
    gitops.check_retired_components,
    observability.check_alert_conventions,
    observability.check_dashboards,
    observability.check_datasource_files,
    observability.check_default_datasources,
)


def run_rules(
    resources: Iterable[Resource],
    config: GateConfig,
    broken: Iterable[Resource] = (),
    repository: RepositoryFacts | None = None,
) -> list[Finding]:
    """Every rule over the resources; those in `broken` (failed their schema) are looked up, not checked."""
    index = ResourceIndex(resources, config, broken, repository)
    findings = [
        finding
        for rule in RULE_FUNCTIONS
        for finding in contained(_module_file(rule), f"rule {rule.__name__}", rule, index)
    ]
    return apply_suppressions(findings, index)


def _module_file(rule: Rule) -> str:
    """Where a rule lives, for a finding about the rule itself."""
    return rule.__module__.replace(".", "/") + ".py"
