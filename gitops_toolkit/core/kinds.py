"""Kinds the rules treat specially."""

from __future__ import annotations

# Cluster-scoped kinds: no namespace, whatever the overlay sets.
CLUSTER_SCOPED = {
    "Namespace",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "IngressClass",
    "GatewayClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "APIService",
    "RuntimeClass",
    "CSIDriver",
    "ClusterIssuer",
    "IPAddressPool",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
}
