"""`invoke upgrade`: the cluster one Kubernetes minor version up, node by node, over SSH."""
