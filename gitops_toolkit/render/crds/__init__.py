"""CRDs the repository carries: the lock, the vendored files verified against it, and what a CRD serves."""
