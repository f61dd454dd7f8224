"""`invoke bump-image` and `invoke promote`: image tags written into an overlay's kustomization, safely."""
