"""Where the data folders (``rules/``, ``schemas/``) are, installed or in a checkout."""

from __future__ import annotations

import os
from functools import cache

TYPE_CHECKING = False  # importing typing costs a replay 2 ms; mypy takes this name as True
if TYPE_CHECKING:
    from pathlib import Path  # not at run time: a replay does without pathlib (4 ms)

_PACKAGE = os.path.dirname(os.path.realpath(__file__))  # what Path.resolve() is


@cache
def data_dir(name: str) -> Path:
    """``rules`` or ``schemas``: packaged under ``kpolicy/_data`` in a wheel, else the checkout."""
    from pathlib import Path

    return Path(data_folder(name))


@cache
def data_folder(name: str) -> str:
    """:func:`data_dir` as a string (a replay's, without pathlib)."""
    packaged = os.path.join(_PACKAGE, "_data", name)
    if os.path.isdir(packaged):
        return packaged
    return os.path.join(os.path.dirname(_PACKAGE), name)
