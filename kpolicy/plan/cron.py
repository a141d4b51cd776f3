"""A CronJob's next run times, as the CronJob controller computes them, for ``kpolicy plan``.

The controller parses ``spec.schedule`` with robfig/cron's ``ParseStandard`` after
``formatSchedule`` (pkg/controller/cronjob/utils.go) has prefixed ``TZ=<spec.timeZone>`` when
the time zone is set; a schedule that already holds ``TZ``/``CRON_TZ`` is parsed as written.
Without either, ``ParseStandard`` reads the schedule in ``time.Local``: the local time zone of
the kube-controller-manager process, which a manifest cannot know.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kpolicy.k8s.cron import CronError, CronField, CronSchedule, parse_standard
from kpolicy.k8s.timezone import validate_time_zone
from kpolicy.model import KObject
from kpolicy.plan.data import CronPlan, Rejection
from kpolicy.workload import get

RUNS_SHOWN: Final = 5
# SpecSchedule.Next gives up after five years without a match (robfig/cron/v3 spec.go)
_YEARS: Final = 5

UNSET_ZONE_NOTE: Final = (
    "spec.timeZone is unset: the CronJob controller reads the schedule in the local time zone "
    "of kube-controller-manager (cron.ParseStandard without TZ= uses time.Local); the times "
    "are shown in UTC, which that is unless its host or container sets another zone"
)
SUSPENDED_NOTE: Final = (
    "spec.suspend is true: the controller starts no Job until it is false (syncCronJob); "
    "no run times"
)


def _day_matches(schedule: CronSchedule, day: datetime) -> bool:
    """robfig/cron/v3 dayMatches: day of month AND day of week when either is written with a
    star, else OR."""
    dom = day.day in schedule.dom.values
    dow = (day.weekday() + 1) % 7 in schedule.dow.values  # Sunday is 0
    if schedule.dom.star or schedule.dow.star:
        return dom and dow
    return dom or dow


def _sorted(field: CronField) -> list[int]:
    return sorted(field.values)


def next_runs(
    schedule: CronSchedule, now: datetime, zone: ZoneInfo, count: int = RUNS_SHOWN
) -> list[datetime]:
    """The next ``count`` run times after ``now`` (aware), in ``zone``.

    Follows SpecSchedule.Next and ConstantDelaySchedule.Next (robfig/cron/v3), which the
    CronJob controller calls (getNextScheduleTime / nextScheduleTimeDuration in
    pkg/controller/cronjob/utils.go) in the CronJob's time zone. A wall-clock time that a
    daylight-saving change skips does not occur and is left out.
    """
    local = now.astimezone(zone)
    if schedule.every_seconds is not None:
        start = local.replace(microsecond=0)
        step = timedelta(seconds=schedule.every_seconds)
        return [start + step * (i + 1) for i in range(count)]
    out: list[datetime] = []
    first = local.replace(second=0, microsecond=0) + timedelta(minutes=1)
    day = first.replace(hour=0, minute=0, tzinfo=None)
    end = day.replace(year=day.year + _YEARS)
    hours, minutes = _sorted(schedule.hour), _sorted(schedule.minute)
    while day < end and len(out) < count:
        if day.month in schedule.month.values and _day_matches(schedule, day):
            for hour in hours:
                for minute in minutes:
                    wall = day.replace(hour=hour, minute=minute)
                    when = wall.replace(tzinfo=zone)
                    # a time in a daylight-saving gap does not round-trip through UTC
                    if when.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall:
                        continue
                    if when >= first and len(out) < count:
                        out.append(when)
        day += timedelta(days=1)
    return out


def parse_now(text: str) -> datetime:
    """``--now``: an ISO 8601 date and time; without an offset it is UTC. Raises ValueError."""
    value = datetime.fromisoformat(text.strip())
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def cron_plan(
    obj: KObject, now: datetime, source: str | None, rejections: Sequence[Rejection] = ()
) -> CronPlan:
    """The next run times of a CronJob after ``now``; none when the API server rejects it
    (``rejections``: the lint findings that say so), it is suspended, or its schedule or time
    zone cannot be read."""
    raw_schedule = get(obj.data, "spec", "schedule")
    schedule_text = raw_schedule if isinstance(raw_schedule, str) else ""
    raw_zone = get(obj.data, "spec", "timeZone")
    zone_name = "UTC"
    zone_from: Literal["timeZone", "schedule", "assumed"] = "assumed"
    if isinstance(raw_zone, str) and raw_zone:
        zone_name, zone_from = raw_zone, "timeZone"  # as written, also when it is rejected
    notes: list[str] = []

    def plan(**changes: Any) -> CronPlan:
        base = CronPlan(
            obj.ref,
            source,
            schedule_text,
            zone_name,
            zone_from,
            now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            notes=tuple(notes),
        )
        return replace(base, **changes)

    if rejections:
        return plan(rejected=rejections[0].describe(), rejections=tuple(rejections))
    if not schedule_text:
        return plan(rejected="spec.schedule is missing or not a string")
    try:
        schedule = parse_standard(schedule_text)
    except CronError as exc:
        return plan(rejected=f"schedule {schedule_text!r} is not a valid cron schedule: {exc}")
    if schedule.time_zone is not None:
        # formatSchedule: a schedule holding TZ is parsed as written, spec.timeZone aside
        # time.LoadLocation: "" is UTC, "Local" the process's own zone
        zone_name, zone_from = schedule.time_zone or "UTC", "schedule"
        if zone_name == "Local":
            zone_name, zone_from = "UTC", "assumed"
            notes.append(UNSET_ZONE_NOTE)
    elif isinstance(raw_zone, str):
        problem = validate_time_zone(raw_zone)
        if problem is not None:
            return plan(rejected=f"timeZone {raw_zone!r}: {problem}")
    else:
        notes.append(UNSET_ZONE_NOTE)
    zone = _zone(zone_name)
    if zone is None:
        return plan(rejected=f"time zone {zone_name!r} is not in the bundled IANA database")
    if get(obj.data, "spec", "suspend") is True:
        notes.append(SUSPENDED_NOTE)
        return plan(suspended=True, notes=tuple(notes))
    runs = next_runs(schedule, now, zone)
    if len(runs) < RUNS_SHOWN:
        notes.append(
            f"the schedule matches {len(runs)} time{'' if len(runs) == 1 else 's'} in the "
            f"{_YEARS} years after now (robfig/cron gives up after {_YEARS} years)"
        )
    return plan(runs=tuple(r.isoformat() for r in runs), notes=tuple(notes))
