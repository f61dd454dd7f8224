"""The one error type for "the tool itself could not run" (exit code 2)."""


class ToolError(Exception):
    """A one-line, user-facing reason why the tool could not do its job."""
