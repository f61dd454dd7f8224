"""Library behind tasks.py and noxfile.py: the validation gate, and later host bootstrap and platform checks."""
