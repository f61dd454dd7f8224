"""The pinned inputs: `invoke charts.fetch` and `invoke crds.fetch` vendor upstream charts and CRDs and record
their sha256 in the locks the render layer verifies."""
