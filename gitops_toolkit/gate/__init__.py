"""The validation gate: discover, guard, render, parse, schema, report (see ARCHITECTURE.md)."""
