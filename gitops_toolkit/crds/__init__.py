"""`invoke crds.fetch` and the CRD lock: the add-ons' CRDs vendored in the repository, pinned by sha256."""
