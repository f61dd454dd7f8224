"""`invoke backup` and `invoke restore`: the cluster's state in an encrypted archive, and back."""
