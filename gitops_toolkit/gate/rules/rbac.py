"""RBAC as the API server's authorizer grants it (kube-apiserver's RBAC authorizer: a binding gives its subjects
every rule of the role it names; a RoleBinding only in its own namespace, a ClusterRoleBinding everywhere; an
aggregated ClusterRole holds the rules of every ClusterRole its selectors match). Flagged as kube-linter
(access-to-secrets, wildcard-in-rules, cluster-admin-role-binding), checkov (CKV_K8S_49, CKV2_K8S_5) and CIS 5.1
do: Secrets readable cluster-wide, wildcards in a ClusterRole, bindings to cluster-admin, and bindings for
anonymous or every authenticated user."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gitops_toolkit.core.findings import Finding
from gitops_toolkit.core.resource import Resource
from gitops_toolkit.gate.rules.index import ResourceIndex, selector_matches

_READ = {"get", "list", "watch", "*"}
# The API server's own default ClusterRoles that a repository binds by name, with what matters here.
_BUILT_IN_RULES: dict[str, list[dict[str, Any]]] = {
    "cluster-admin": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}],
    "admin": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch", "create", "delete"]}],
    "edit": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch", "create", "delete"]}],
}
# Groups the API server puts every unauthenticated or authenticated request in.
_EVERYONE = {"system:anonymous", "system:unauthenticated", "system:authenticated"}
# Where the cluster's own controllers run: their cluster-wide reads are the control plane's.
_CONTROL_PLANE_NAMESPACE = "kube-system"
_SUPPRESS = "; if its job needs it, say why in a suppression (docs/rules.md)"


def _rules(role: Resource | None, name: str, index: ResourceIndex) -> list[dict[str, Any]]:
    """The rules a ClusterRole grants: its own, or those it aggregates, or a built-in one's."""
    if role is None:
        return _BUILT_IN_RULES.get(name, [])
    aggregation = role.obj.get("aggregationRule")
    if isinstance(aggregation, dict):
        selectors = aggregation.get("clusterRoleSelectors") or []
        members = [
            other
            for other in index.all_of_kind("ClusterRole")
            if other is not role
            and any(selector_matches(s, _labels(other), empty_matches_all=False) for s in selectors)
        ]
        return [rule for member in members for rule in _own_rules(member)]
    return _own_rules(role)


def _own_rules(role: Resource) -> list[dict[str, Any]]:
    return [rule for rule in role.obj.get("rules") or [] if isinstance(rule, dict)]


def _labels(resource: Resource) -> dict[str, str]:
    return {str(k): str(v) for k, v in (resource.metadata.get("labels") or {}).items()}


def _grants(rule: Mapping[str, Any], group: str, resource: str, verbs: set[str]) -> set[str]:
    """The verbs of `verbs` this rule grants on every object of `resource` (none when it names objects)."""
    if rule.get("resourceNames"):
        return set()
    if not ({"*", group} & set(rule.get("apiGroups") or [])) or not (
        {"*", resource} & set(rule.get("resources") or [])
    ):
        return set()
    granted = set(rule.get("verbs") or [])
    return verbs if "*" in granted else granted & verbs


def _role_of(binding: Resource, index: ResourceIndex) -> tuple[str, str, Resource | None]:
    reference = binding.obj.get("roleRef") or {}
    kind, name = str(reference.get("kind", "")), str(reference.get("name", ""))
    namespace = "" if kind == "ClusterRole" else str(binding.metadata.get("namespace", ""))
    return kind, name, index.get(kind, namespace, name)


def _subjects(binding: Resource) -> Iterator[tuple[int, dict[str, Any]]]:
    for position, subject in enumerate(binding.obj.get("subjects") or []):
        if isinstance(subject, dict):
            yield position, subject


def _service_accounts_outside_control_plane(subject: Mapping[str, Any]) -> str:
    """Who a subject is, when it stands for ServiceAccounts outside kube-system; "" otherwise."""
    kind, name, namespace = subject.get("kind"), str(subject.get("name", "")), str(subject.get("namespace", ""))
    if kind == "ServiceAccount" and namespace != _CONTROL_PLANE_NAMESPACE:
        return f"ServiceAccount {namespace}/{name}"
    if kind == "Group" and name == "system:serviceaccounts":
        return "every ServiceAccount"
    if kind == "Group" and name.startswith("system:serviceaccounts:") and not name.endswith(_CONTROL_PLANE_NAMESPACE):
        return f"every ServiceAccount of {name.rpartition(':')[2]}"
    return ""


def check_secrets_cluster_wide(index: ResourceIndex) -> Iterator[Finding]:
    for binding in index.of_kind("ClusterRoleBinding"):
        kind, name, role = _role_of(binding, index)
        if kind != "ClusterRole":
            continue
        verbs = set().union(*(_grants(rule, "", "secrets", _READ) for rule in _rules(role, name, index)))
        if not verbs:
            continue
        for position, subject in _subjects(binding):
            who = _service_accounts_outside_control_plane(subject)
            if who:
                yield binding.finding(
                    "RBAC-SECRETS-CLUSTER-WIDE",
                    f"{who} can {'/'.join(sorted(verbs - {'*'}) or ['*'])} every Secret in every namespace through "
                    f"ClusterRole {name} (the sealed-secrets key in kube-system included): bind a Role in the "
                    f"namespaces it reads, or drop secrets from the ClusterRole{_SUPPRESS}",
                    ("subjects", position),
                )


def check_wildcards(index: ResourceIndex) -> Iterator[Finding]:
    for role in index.of_kind("ClusterRole"):
        for position, rule in enumerate(_own_rules(role)):
            fields = [field for field in ("verbs", "resources", "apiGroups") if "*" in (rule.get(field) or [])]
            if fields:
                yield role.finding(
                    "RBAC-WILDCARD",
                    f"rule {position} grants `*` in {', '.join(fields)}, so it grows with every API the cluster "
                    f"serves, Secrets and new CRDs included: list the verbs, resources and groups it needs{_SUPPRESS}",
                    ("rules", position),
                )


def check_cluster_admin_bindings(index: ResourceIndex) -> Iterator[Finding]:
    for binding in index.of_kind("ClusterRoleBinding", "RoleBinding"):
        kind, name, _ = _role_of(binding, index)
        if (kind, name) == ("ClusterRole", "cluster-admin"):
            scope = "the whole cluster" if binding.kind == "ClusterRoleBinding" else "everything in its namespace"
            yield binding.finding(
                "RBAC-CLUSTER-ADMIN-BINDING",
                f"binds cluster-admin, which grants {scope} (Secrets, RBAC and all): bind a role with only the "
                f"rules its subjects need{_SUPPRESS}",
                ("roleRef",),
            )


def check_everyone_bindings(index: ResourceIndex) -> Iterator[Finding]:
    for binding in index.of_kind("ClusterRoleBinding", "RoleBinding"):
        _, name, _ = _role_of(binding, index)
        for position, subject in _subjects(binding):
            if subject.get("kind") in ("Group", "User") and subject.get("name") in _EVERYONE:
                yield binding.finding(
                    "RBAC-ANONYMOUS",
                    f"grants {name} to {subject.get('name')}, that is to anyone who reaches the API server"
                    f"{' with any account' if subject.get('name') == 'system:authenticated' else ''}: name the "
                    f"users, groups or ServiceAccounts that need it{_SUPPRESS}",
                    ("subjects", position),
                )
