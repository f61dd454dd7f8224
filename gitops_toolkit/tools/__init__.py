"""The only places that run external tools: parsed data in, one error type out."""
