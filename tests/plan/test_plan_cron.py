"""A CronJob's next runs (kpolicy/plan/cron.py) where the schedule, not spec.timeZone, decides."""

from __future__ import annotations

from datetime import UTC, datetime

from kpolicy.load import load_text
from kpolicy.model import KObject, SourceFile
from kpolicy.plan.cron import cron_plan

NOW = datetime(2026, 1, 1, tzinfo=UTC)  # a Thursday


def _cronjob(spec: str) -> KObject:
    text = f"apiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: c}}\nspec: {spec}\n"
    return load_text(SourceFile("c.yaml", text, True)).objects[0]


def test_tz_prefix_of_the_schedule_is_its_zone() -> None:
    # formatSchedule leaves a schedule holding TZ as written (an object from before 1.29)
    plan = cron_plan(_cronjob('{schedule: "CRON_TZ=Asia/Tokyo 0 9 * * *"}'), NOW, None)
    assert (plan.time_zone, plan.zone_from) == ("Asia/Tokyo", "schedule")
    # now is 09:00 in Tokyo: the next run is strictly later
    assert plan.runs[:2] == ("2026-01-02T09:00:00+09:00", "2026-01-03T09:00:00+09:00")
    assert plan.notes == ()


def test_tz_local_is_the_controller_clock() -> None:
    plan = cron_plan(_cronjob('{schedule: "TZ=Local 0 * * * *"}'), NOW, None)
    assert (plan.time_zone, plan.zone_from) == ("UTC", "assumed")
    assert "kube-controller-manager" in plan.notes[0]


def test_a_date_that_never_comes_has_no_runs() -> None:
    plan = cron_plan(_cronjob('{schedule: "0 0 30 2 *"}'), NOW, None)
    assert plan.runs == ()
    assert "matches 0 times in the 5 years" in plan.notes[-1]


def test_every_counts_from_now() -> None:
    plan = cron_plan(_cronjob('{schedule: "@every 1h30m", timeZone: UTC}'), NOW, None)
    assert plan.runs[:2] == ("2026-01-01T01:30:00+00:00", "2026-01-01T03:00:00+00:00")


def test_unreadable_fields_are_reasons_not_errors() -> None:
    assert cron_plan(_cronjob("{schedule: 5}"), NOW, None).rejected == (
        "spec.schedule is missing or not a string"
    )
    bad = cron_plan(_cronjob('{schedule: "0 0 * *"}'), NOW, None)
    assert bad.rejected is not None and "expected exactly 5 fields" in bad.rejected
    zone = cron_plan(_cronjob('{schedule: "@daily", timeZone: "Mars/Olympus"}'), NOW, None)
    assert (zone.time_zone, zone.runs) == ("Mars/Olympus", ())
    assert zone.rejected is not None and "unknown time zone" in zone.rejected
