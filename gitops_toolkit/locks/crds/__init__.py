"""`invoke crds.fetch`: the add-ons' CRDs vendored in the repository from the URLs the CRD lock pins."""
