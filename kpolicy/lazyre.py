"""Regular expressions compiled when first used, for the patterns of paths a run rarely takes.

Compiling a pattern costs 10-300 µs; the thirty-odd module-level patterns of the modules a
one-file ``kpolicy lint`` imports were about a tenth of its start-up, and most serve inputs
the run does not have (Helm comments, suppression comments, CronJob schedules, hostile
white space). :func:`lazy_compile` is ``re.compile`` deferred: the object it returns compiles
the pattern the first time one of its attributes is read, then keeps the compiled pattern's
bound methods (``match``, ``sub``...) as its own attributes, so that later uses cost what the
compiled pattern's do. ``tests/test_lazyre.py`` holds it to :func:`re.compile`.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["lazy_compile"]


class _LazyPattern:
    def __init__(self, pattern: str, flags: int) -> None:
        self._source = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        # only reached for an attribute not set yet: compile, then keep everything a Pattern
        # has (its methods bound to it), so that this is the last call here
        compiled = re.compile(*self._source)
        for attribute in dir(compiled):
            if not attribute.startswith("__"):
                setattr(self, attribute, getattr(compiled, attribute))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy_compile({self._source[0]!r}, {self._source[1]!r})"


if TYPE_CHECKING:

    def lazy_compile(pattern: str, flags: int = 0) -> re.Pattern[str]: ...

else:

    def lazy_compile(pattern, flags=0):
        return _LazyPattern(pattern, flags)
