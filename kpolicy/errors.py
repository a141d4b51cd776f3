"""Errors that end a run with exit code 2 and a one-line message."""


class UsageError(Exception):
    """Bad command line, bad config or an unreadable path: exit code 2, no traceback."""
