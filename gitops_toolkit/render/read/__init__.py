"""Reading the repository before and after kustomize runs: its YAML files (each once), kustomization files,
entry points, the guard, and rendered output parsed back to the file and line a person edits."""
