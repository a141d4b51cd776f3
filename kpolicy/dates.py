"""Today's date, in one place: exemptions' ``until`` and the run cache compare with it, and
tests replace it."""

from __future__ import annotations

import datetime


def today() -> datetime.date:
    return datetime.date.today()
