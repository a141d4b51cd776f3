"""What code on the lint path needs of :mod:`typing` at run time, without importing it.

Importing :mod:`typing` is 2-3 ms of a one-file ``kpolicy lint``, and the lint path uses it for
annotations only, which ``from __future__ import annotations`` leaves unevaluated: its modules
import typing's names under ``if TYPE_CHECKING:`` (a module's own ``TYPE_CHECKING = False``,
which mypy and ruff read as typing's). :func:`cast` is the one function they call; to mypy it
*is* ``typing.cast``. ``tests/test_startup.py`` holds a one-file run to not importing typing.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import cast as cast
else:

    def cast(typ, value):
        """``typing.cast``: ``value`` itself."""
        return value


__all__ = ["cast"]
