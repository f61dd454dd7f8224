"""Checks of a running platform, each with an ID, a status and the fix to try (the cluster's part so far;
`invoke smoke` itself is still to come)."""
