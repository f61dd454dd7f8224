"""Stage 5: every rendered resource against its schema (built-in kinds at the pinned Kubernetes version, custom
resources against their CRD) and what the API server validates beyond types."""
