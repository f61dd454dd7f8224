"""The library behind tasks.py and noxfile.py, in layers (docs/architecture.md): core, tools, render, gate, and
the verb families (locks, hosts, delivery, checks, alerts)."""
