"""Where the data folders (``rules/``, ``schemas/``) are, installed or in a checkout."""

from __future__ import annotations

from functools import cache

from kpolicy.fsutil import data_folder

TYPE_CHECKING = False  # importing typing costs a replay 2 ms; mypy takes this name as True
if TYPE_CHECKING:
    from pathlib import Path  # not at run time: a replay does without pathlib (4 ms)

__all__ = ["data_dir", "data_folder"]


@cache
def data_dir(name: str) -> Path:
    """``rules`` or ``schemas``: packaged under ``kpolicy/_data`` in a wheel, else the checkout."""
    from pathlib import Path

    return Path(data_folder(name))
