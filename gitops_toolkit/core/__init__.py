"""Small shared helpers and the models every layer passes along: errors, atomic files, the cache directory,
bounded YAML, versions, findings and their rule catalog, the rendered resource, the gate's site settings."""
