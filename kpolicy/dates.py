"""Today's date, in one place: exemptions' ``until`` and the run cache compare with it, and
tests replace it. :mod:`datetime` is imported only here and where a date is read (an
exemption's ``until``): a run whose config has none does not import it."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import datetime


def today() -> datetime.date:
    import datetime

    return datetime.date.today()
