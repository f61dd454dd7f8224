"""Checks of a running platform from the outside: `invoke smoke`, `invoke drill` and `invoke loadtest`, talking to
the cluster only through tools/cluster_api.py."""
