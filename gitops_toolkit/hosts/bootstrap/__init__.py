"""`invoke bootstrap`: from bare hosts to a kubeadm cluster handed to Argo CD, planned before it is applied."""
