"""The operator's verbs as Invoke tasks, grouped by family; tasks.py collects them."""
