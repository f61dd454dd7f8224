"""Changes on their way to the cluster: `invoke bump-image` and `invoke promote` (image tags in an overlay) and
`invoke diff` (what a change does to the cluster)."""
