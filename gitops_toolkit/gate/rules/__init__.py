"""Stage 6: rules as pure functions over an index of every rendered resource (rule_set.py runs them), and the
checks of what is not a rendered resource (secrets in files, CI files, kubeadm configuration)."""
