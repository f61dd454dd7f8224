"""Rules about the cluster the repository is deployed to, beyond its manifests: the machines of the inventory and
what the bootstrap's kubeadm and Calico configuration set (capacity, data planes, metrics bindings)."""
