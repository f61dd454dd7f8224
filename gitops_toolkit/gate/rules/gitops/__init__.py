"""GitOps rules: Argo CD Applications, AppProjects, sync behaviour and Helm values as Argo CD and Helm would
judge them."""
