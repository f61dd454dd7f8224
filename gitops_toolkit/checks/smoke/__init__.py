"""`invoke smoke`: checks of a running platform (cluster, the shop through the Gateway, observability), each
with an ID, a status, a duration and the fix to try; a redacted diagnostics bundle when any fails."""
