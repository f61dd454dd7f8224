"""`invoke bootstrap`: from bare Linux hosts to a kubeadm cluster handed to Argo CD (the inventory so far)."""
