"""`invoke charts.fetch`: every chart version the Applications pin, vendored and pinned by sha256."""
