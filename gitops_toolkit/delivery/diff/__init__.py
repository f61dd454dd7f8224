"""`invoke diff`: what a change does to the cluster, resource by resource, rendered as the gate renders."""
