"""CronJob time zones as ``validateTimeZone`` (pkg/apis/batch/validation) judges them.

The API server loads the zone with Go's ``time.LoadLocation``, which reads the IANA time zone
database (the system's, or the copy built into the binary). kpolicy reads the same database
from the ``tzdata`` package, offline: its list of zone names includes the backward-compatible
links (``US/Eastern``, ``Europe/Kiev``) that ``LoadLocation`` also accepts.
"""

from __future__ import annotations

import re
from functools import cache

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is not imported on the lint path (2-3 ms a process)
    from typing import Final

__all__ = ["known_time_zones", "validate_time_zone"]

# validTimeZoneCharacters: each '/'-separated component, as the IANA naming rules allow (with
# digits and '+' for the legacy names such as Etc/GMT+5)
_COMPONENT: Final = re.compile(r"[A-Za-z.\-_0-9+]{1,14}")


@cache
def known_time_zones() -> frozenset[str]:
    """Every zone name of the bundled IANA database (read once per process)."""
    import os

    import tzdata

    # the package's own file where it is a folder (any pip install): importlib.resources
    # imports tempfile, shutil, zipfile and more to find it (47M instructions against 1M, in
    # each worker process that reads a CronJob); through it where the package is zipped
    init = getattr(tzdata, "__file__", None)
    try:
        if not init:
            raise FileNotFoundError("tzdata")  # never a path relative to the working folder
        with open(os.path.join(os.path.dirname(init), "zones"), encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        from importlib import resources

        text = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8")
    return frozenset(text.split())


# follows validateTimeZone (pkg/apis/batch/validation/validation.go)
def validate_time_zone(zone: str) -> str | None:
    """Why the API server rejects ``zone`` as a CronJob's spec.timeZone, or None."""
    if zone == "":
        return "timeZone must be nil or non-empty string"
    for part in zone.split("/"):
        if part in (".", "..") or part.startswith("-") or not _COMPONENT.fullmatch(part):
            return f"unknown time zone {zone}"
    if zone.lower() == "local":
        return (
            "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"
        )
    if zone != "UTC" and zone not in known_time_zones():
        # time.LoadLocation's error
        return f"unknown time zone {zone}"
    return None
