"""The cron parser accepts exactly what robfig/cron/v3 ParseStandard accepts (the cases below are
worked out from parser.go and spec.go of v3.0.1) and gives its error text."""

from __future__ import annotations

import pytest

from kpolicy.k8s.cron import CronError, go_fields, parse_go_duration, parse_standard


@pytest.mark.parametrize(
    ("spec", "minutes", "dow", "dow_star"),
    [
        ("*/15 * * * *", {0, 15, 30, 45}, set(range(7)), True),
        ("0 0 * * sun-sat", {0}, set(range(7)), False),
        ("0 0 * * MON,wed,Fri", {0}, {1, 3, 5}, False),
        ("5/20 * * * ?", {5, 25, 45}, set(range(7)), True),  # N/step runs to the maximum
        ("0-10/5 * * * */2", {0, 5, 10}, {0, 2, 4, 6}, False),  # a step above 1 drops the star
        ("0 * * * */1", {0}, set(range(7)), True),
        ("1,,2 * * * *", {1, 2}, set(range(7)), True),  # empty list items are skipped
        (", * * * *", set(), set(range(7)), True),  # an empty list is accepted
        ("*-5 * * * *", set(range(60)), set(range(7)), True),  # '*' ignores what follows '-'
        ("+5 * * * *", {5}, set(range(7)), True),  # strconv.Atoi takes a sign
        ("05\t*  * * *", {5}, set(range(7)), True),  # any white space separates fields
        ("0 0 * JAN-jun *", {0}, set(range(7)), True),  # names in any case
    ],
)
def test_accepted(spec: str, minutes: set[int], dow: set[int], dow_star: bool) -> None:
    schedule = parse_standard(spec)
    assert schedule.minute.values == minutes
    assert schedule.dow.values == dow
    assert schedule.dow.star is dow_star


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        ("", "empty spec string"),
        ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
        ("0 0 0 * * *", "expected exactly 5 fields, found 6: [0 0 0 * * *]"),
        ("0 0 * * 7", "end of range (7) above maximum (6): 7"),
        ("60 * * * *", "end of range (60) above maximum (59): 60"),
        ("0 24 * * *", "end of range (24) above maximum (23): 24"),
        ("0 0 0 * *", "beginning of range (0) below minimum (1): 0"),
        ("0 0 * 13 *", "end of range (13) above maximum (12): 13"),
        ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
        ("*/0 * * * *", "step of range should be a positive number: */0"),
        ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
        ("1/2/3 * * * *", "too many slashes: 1/2/3"),
        ("-5 * * * *", 'failed to parse int from : strconv.Atoi: parsing "": invalid syntax'),
        ("x * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'),
        ("0 0 * * monday", "failed to parse int from monday"),
        (" @hourly", "expected exactly 5 fields, found 1: [@hourly]"),
        ("@hourly ", "unrecognized descriptor: @hourly "),
        ("@reboot", "unrecognized descriptor: @reboot"),
        ("@every 5 m", 'failed to parse duration @every 5 m: time: unknown unit " m" in duration'),
        ("@every", "unrecognized descriptor: @every"),
        ("@every 10", 'failed to parse duration @every 10: time: missing unit in duration "10"'),
    ],
)
def test_rejected(spec: str, error: str) -> None:
    with pytest.raises(CronError) as raised:
        parse_standard(spec)
    assert str(raised.value).startswith(error)


@pytest.mark.parametrize(
    "spec", ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]
)
def test_descriptors(spec: str) -> None:
    schedule = parse_standard(spec)
    assert schedule.minute.values == {0}
    assert schedule.every_seconds is None


def test_every_rounds_to_whole_seconds() -> None:
    assert parse_standard("@every 1h30m").every_seconds == 5400
    assert parse_standard("@every 1500ms").every_seconds == 1
    assert parse_standard("@every 0s").every_seconds == 1  # Every(): at least a second
    assert parse_standard("@every -5m").every_seconds == 1


def test_time_zone_prefix() -> None:
    assert parse_standard("TZ=UTC 0 0 * * *").time_zone == "UTC"
    assert parse_standard("CRON_TZ=Asia/Tokyo @daily", {"Asia/Tokyo"}).time_zone == "Asia/Tokyo"
    with pytest.raises(CronError, match="provided bad location Mars/Base"):
        parse_standard("CRON_TZ=Mars/Base 0 0 * * *", {"UTC"})


@pytest.mark.parametrize(
    ("text", "nanoseconds"),
    [
        ("1h30m", 5400 * 10**9),
        ("1.5s", 1_500_000_000),
        (".5s", 500_000_000),
        ("0", 0),
        ("-2m", -120 * 10**9),
        ("1µs", 1000),
        ("1μs", 1000),
        ("3us2ns", 3002),
    ],
)
def test_go_duration(text: str, nanoseconds: int) -> None:
    assert parse_go_duration(text) == nanoseconds


@pytest.mark.parametrize("text", ["", "+", ".", "1", "1d", "1h 2m", "s", "9223372036854775808ns"])
def test_go_duration_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        parse_go_duration(text)


def test_go_fields_split_like_strings_fields() -> None:
    assert go_fields(" a\u00a0b\u3000c\x1cd ") == ["a", "b", "c\x1cd"]
