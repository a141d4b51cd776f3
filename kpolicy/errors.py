"""Errors that end a run with a one-line message: exit code 2 (usage) or 3 (internal)."""


class UsageError(Exception):
    """Bad command line, bad config or an unreadable path: exit code 2, no traceback."""


class InternalError(Exception):
    """kpolicy itself failed (a worker process was killed, say): exit code 3, one line."""
