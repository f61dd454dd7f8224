"""Everything that talks to a running cluster goes through this package (kubectl from the pinned wheel)."""
