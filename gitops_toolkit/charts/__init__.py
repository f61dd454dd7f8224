"""Helm charts the Applications pin: the lock, the vendored archives and `invoke charts.fetch`."""
