"""What Argo CD would apply, and nothing else: repository.py renders a checkout (the gate and diff use it),
single_source.py one overlay or one Application's chart; no module outside runs kustomize or Helm."""
