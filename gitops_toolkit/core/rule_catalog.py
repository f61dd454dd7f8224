"""Every rule of the gate: a stable ID and its severity. docs/rules.md explains each one."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


RULES: dict[str, Severity] = {
    # discover
    "DISCOVER-UNUSED-COMPONENT": Severity.WARNING,
    # guard: before anything runs
    "GUARD-REMOTE-RESOURCE": Severity.INFO,
    "GUARD-PATH-ESCAPE": Severity.ERROR,
    "GUARD-MISSING-FILE": Severity.ERROR,
    "GUARD-HELM-INFLATION": Severity.ERROR,
    "GUARD-KUSTOMIZATION-CYCLE": Severity.ERROR,
    "SOURCE-DUPLICATE": Severity.ERROR,
    "GUARD-FILE-TOO-LARGE": Severity.ERROR,
    "GUARD-NOT-UTF8": Severity.ERROR,
    "GUARD-YAML-SYNTAX": Severity.ERROR,
    "GUARD-YAML-ALIASES": Severity.ERROR,
    "GUARD-YAML-DEPTH": Severity.ERROR,
    "GUARD-YAML-DUPLICATE-KEY": Severity.ERROR,
    # render
    "RENDER-FAILED": Severity.ERROR,
    "RENDER-TIMEOUT": Severity.ERROR,
    "RENDER-MEMORY-LIMIT": Severity.ERROR,
    "RENDER-SKIPPED": Severity.INFO,
    # schema
    "SCHEMA-INVALID": Severity.ERROR,
    "SCHEMA-UNKNOWN-API": Severity.ERROR,
    "SCHEMA-REMOVED-API": Severity.ERROR,
    "SCHEMA-DEPRECATED-API": Severity.WARNING,
    "SCHEMA-NO-SCHEMA": Severity.WARNING,
    "SCHEMA-CRD-CONFLICT": Severity.ERROR,
    # what the API server refuses beyond types
    "API-NAME": Severity.ERROR,
    "API-LABEL": Severity.ERROR,
    "API-ANNOTATION": Severity.ERROR,
    "API-QUANTITY": Severity.ERROR,
    "API-PORT": Severity.ERROR,
    "API-SELECTOR": Severity.ERROR,
    "API-DUPLICATE": Severity.ERROR,
    "API-CRON": Severity.ERROR,
    "API-OBJECT-SIZE": Severity.ERROR,
    # what the gate could not check, said
    "COVERAGE-HELM-CHART": Severity.INFO,
    "COVERAGE-FLUX": Severity.INFO,
    "COVERAGE-UNREFERENCED": Severity.INFO,
    "COVERAGE-NOTHING-RENDERED": Severity.WARNING,
    # the gate itself
    "GATE-CHECK-FAILED": Severity.ERROR,
    # the CRDs the repository carries
    "CRD-LOCK-INVALID": Severity.ERROR,
    "CRD-LOCK-MISMATCH": Severity.ERROR,
    "CRD-NOT-LOCKED": Severity.WARNING,
    # the Helm charts the repository carries, rendered as Argo CD renders them
    "CHART-LOCK-INVALID": Severity.ERROR,
    "CHART-LOCK-MISMATCH": Severity.ERROR,
    "CHART-NOT-LOCKED": Severity.ERROR,
    "CHART-RENDER-FAILED": Severity.ERROR,
    "RENDER-NONDETERMINISTIC": Severity.ERROR,
    "CHART-VALUES-UNKNOWN-KEY": Severity.ERROR,
    "CHART-VALUES-SCHEMA": Severity.ERROR,
    "CHART-VALUES-UNUSED": Severity.WARNING,
}

# Stage 6, the rules over the rendered resources. These may be suppressed per resource.
RESOURCE_RULES: dict[str, Severity] = {
    # workload security
    "SEC-RUN-AS-ROOT": Severity.ERROR,
    "SEC-PRIVILEGE-ESCALATION": Severity.ERROR,
    "SEC-PRIVILEGED": Severity.ERROR,
    "SEC-CAPABILITIES": Severity.ERROR,
    "SEC-SECCOMP": Severity.ERROR,
    "SEC-HOST-NAMESPACE": Severity.ERROR,
    "SEC-HOST-PATH": Severity.ERROR,
    "SEC-HOST-PORT": Severity.ERROR,
    "SEC-WRITABLE-ROOT-FS": Severity.ERROR,
    "SEC-APPARMOR": Severity.ERROR,
    "SEC-SELINUX": Severity.ERROR,
    "SEC-SYSCTL": Severity.ERROR,
    "SEC-PROC-MOUNT": Severity.ERROR,
    "SEC-HOST-PROCESS": Severity.ERROR,
    "SEC-PROBE-HOST": Severity.ERROR,
    "SEC-VOLUME-TYPE": Severity.ERROR,
    "SEC-SERVICE-TYPE": Severity.ERROR,
    "RES-MISSING": Severity.ERROR,
    "PROBE-MISSING": Severity.ERROR,
    "PROBE-PORT": Severity.ERROR,
    "IMAGE-TAG": Severity.ERROR,
    "IMAGE-REGISTRY": Severity.ERROR,
    "IMAGE-PULL-SECRET": Severity.ERROR,
    "SA-MISSING": Severity.ERROR,
    "SA-TOKEN-MOUNTED": Severity.ERROR,
    # cross-references
    "XREF-SERVICE-SELECTOR": Severity.ERROR,
    "XREF-SERVICE-PORT": Severity.ERROR,
    "XREF-ADDRESS": Severity.ERROR,
    "XREF-MISSING-REFERENCE": Severity.ERROR,
    "XREF-HPA-TARGET": Severity.ERROR,
    "XREF-HPA-REPLICAS": Severity.ERROR,
    "XREF-PDB-SELECTOR": Severity.ERROR,
    "XREF-PDB-BLOCKS-DRAIN": Severity.ERROR,
    "XREF-DUPLICATE-ENV": Severity.ERROR,
    "XREF-DUPLICATE-RESOURCE": Severity.ERROR,
    # network policy
    "NETPOL-NO-DEFAULT-DENY": Severity.ERROR,
    "NETPOL-POD-UNSELECTED": Severity.ERROR,
    "NETPOL-CALL-BLOCKED": Severity.ERROR,
    "NETPOL-DNS-BLOCKED": Severity.ERROR,
    # credentials in rendered resources
    "SECRET-IN-CONFIGMAP": Severity.ERROR,
    "SECRET-IN-ENV": Severity.ERROR,
    "SECRET-IN-ANNOTATION": Severity.ERROR,
    "SECRET-IN-APPLICATION": Severity.ERROR,
    # RBAC
    "RBAC-SECRETS-CLUSTER-WIDE": Severity.ERROR,
    "RBAC-WILDCARD": Severity.ERROR,
    "RBAC-CLUSTER-ADMIN-BINDING": Severity.ERROR,
    "RBAC-ANONYMOUS": Severity.ERROR,
    # capacity: the pods against the inventory's machines
    "CAPACITY-REQUESTS": Severity.ERROR,
    "CAPACITY-AT-MAX": Severity.WARNING,
    # GitOps: Applications and AppProjects
    "GITOPS-PROJECT": Severity.ERROR,
    "GITOPS-SOURCE-NOT-ALLOWED": Severity.ERROR,
    "GITOPS-DESTINATION-NOT-ALLOWED": Severity.ERROR,
    "GITOPS-SOURCE-PATH": Severity.ERROR,
    "GITOPS-VALUES-FILE": Severity.ERROR,
    "GITOPS-CHART-VERSION": Severity.ERROR,
    "GITOPS-REVISION": Severity.ERROR,
    "GITOPS-PROJECT-WILDCARD": Severity.ERROR,
    "GITOPS-SYNC-WAVE": Severity.ERROR,
    "GITOPS-SHARED-RESOURCE": Severity.ERROR,
    "GITOPS-NOTIFICATION-ONCE-PER": Severity.ERROR,
    "GITOPS-SYNC-WAVE-VALUE": Severity.ERROR,
    "GITOPS-SYNC-OPTION": Severity.ERROR,
    "GITOPS-DESTINATION-FORM": Severity.ERROR,
    "GITOPS-APP-NAME": Severity.ERROR,
    "GITOPS-PRUNE-PROTECTION": Severity.ERROR,
    "GITOPS-SYNC-POLICY": Severity.ERROR,
    "GITOPS-IGNORE-DIFFERENCES": Severity.ERROR,
    "GITOPS-ROLLOUT-ROUTE-OWNERSHIP": Severity.ERROR,
    "GITOPS-ROLLOUT-PLUGIN": Severity.ERROR,
    "GITOPS-RETIRED-COMPONENT": Severity.ERROR,
    # observability
    "OBS-ALERT-CONVENTIONS": Severity.ERROR,
    "OBS-DASHBOARD-INVALID": Severity.ERROR,
    "OBS-DASHBOARD-UID": Severity.ERROR,
    "OBS-DASHBOARD-DATASOURCE": Severity.ERROR,
    "OBS-MONITOR-UNSELECTED": Severity.WARNING,
    "OBS-METRIC-UNSCRAPED": Severity.ERROR,
    "OBS-SCRAPE-UNREACHABLE": Severity.ERROR,
    "OBS-COLLECTOR-DUPLICATED": Severity.ERROR,
    "OBS-COMPONENT-UNWATCHED": Severity.WARNING,
}
SUPPRESSIBLE = frozenset(RESOURCE_RULES)

RULES.update(RESOURCE_RULES)
RULES.update(
    {
        # secrets in git: removed and rotated, never suppressed
        "SECRET-PLAINTEXT": Severity.ERROR,
        "SECRET-IN-FILE": Severity.ERROR,
        # the inventory the capacity rules read: fixed there, never suppressed
        "CAPACITY-INVENTORY": Severity.ERROR,
        # kube-proxy's mode against Calico's data plane, in the bootstrap's configuration
        "DATAPLANE-MISMATCH": Severity.ERROR,
        # CI files: GitLab refuses a pipeline its schema rejects
        "CI-GITLAB-SCHEMA": Severity.ERROR,
        "CI-GITLAB-INCLUDE": Severity.ERROR,
        # observability checks that run promtool, and the datasource count (not tied to one resource)
        "OBS-PROMQL-INVALID": Severity.ERROR,
        "OBS-DASHBOARD-PROMQL": Severity.ERROR,
        "OBS-PROMTOOL-MISSING": Severity.WARNING,
        "OBS-DATASOURCE-URL": Severity.ERROR,
        "OBS-DATASOURCE-DEFAULT": Severity.ERROR,
        "OBS-DATASOURCE-INVALID": Severity.ERROR,
        "OBS-ALERTMANAGER-CONFIG": Severity.ERROR,
        "OBS-AMTOOL-MISSING": Severity.WARNING,
        # suppressions
        "GATE-SUPPRESSED": Severity.INFO,
        "GATE-SUPPRESSION-NO-REASON": Severity.ERROR,
        "GATE-SUPPRESSION-INVALID": Severity.WARNING,
    }
)
