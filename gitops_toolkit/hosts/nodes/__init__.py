"""`invoke node.remove` and `invoke reset`: a node taken out of the cluster, a host wiped of kubeadm's state."""
