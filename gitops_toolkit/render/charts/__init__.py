"""Helm charts as Argo CD renders them: the lock and the vendored archives, values layers, releases, and the
render cache."""
