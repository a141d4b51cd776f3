"""CronJob schedules as the API server reads them.

``validateScheduleFormat`` (pkg/apis/batch/validation) calls ``cron.ParseStandard`` of
github.com/robfig/cron/v3 (v3.0.1, the version Kubernetes vendors): five fields (minute, hour,
day of month, month, day of week) or a descriptor (``@hourly``, ``@every 1h30m``). This module
accepts exactly what that parser accepts and returns its error text for the rest, so that a
finding can say what the API server says. The parsed schedule keeps, per field, the values it
matches and whether it was written with ``*`` or ``?`` (the cron library treats a day-of-month
or day-of-week field written that way specially when it computes the next run).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from kpolicy.k8s.intstr import atoi, atoi_text
from kpolicy.records import record

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is not imported on the lint path (2-3 ms a process)
    from typing import Final

__all__ = [
    "CronError",
    "CronField",
    "CronSchedule",
    "go_fields",
    "parse_go_duration",
    "parse_standard",
]


class CronError(ValueError):
    """The error ``ParseStandard`` returns, with its message."""


@record(frozen=True, slots=True)
class CronField:
    values: frozenset[int]
    star: bool  # written with '*' or '?' and no step above 1 (robfig's starBit)


@record(frozen=True, slots=True)
class CronSchedule:
    """A parsed schedule: the matching values of each field, or a constant delay (``@every``)."""

    minute: CronField
    hour: CronField
    dom: CronField
    month: CronField
    dow: CronField
    every_seconds: int | None = None  # @every: the delay, rounded down to whole seconds (≥ 1)
    time_zone: str | None = None  # a TZ= or CRON_TZ= prefix


@record(frozen=True, slots=True)
class _Bounds:
    low: int
    high: int
    names: Mapping[str, int] | None = None


# robfig/cron/v3 spec.go: the bounds of each field and the names months and weekdays accept
_MINUTES: Final = _Bounds(0, 59)
_HOURS: Final = _Bounds(0, 23)
_DOM: Final = _Bounds(1, 31)
_MONTHS: Final = _Bounds(
    1,
    12,
    {
        name: i + 1
        for i, name in enumerate(
            ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
        )
    },
)
_DOW: Final = _Bounds(
    0, 6, {name: i for i, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
)

# Go's unicode.IsSpace, which strings.Fields splits on (Python's str.split also splits on
# U+001C..U+001F, which Go does not)
_GO_SPACE: Final = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)


def go_fields(text: str) -> list[str]:
    """``strings.Fields``: the runs of characters between Go white space."""
    fields: list[str] = []
    current: list[str] = []
    for char in text:
        if char in _GO_SPACE:
            if current:
                fields.append("".join(current))
                current = []
        else:
            current.append(char)
    if current:
        fields.append("".join(current))
    return fields


def _go_slice(fields: list[str]) -> str:
    """A []string as Go's %s prints it: ``[a b c]``."""
    return "[" + " ".join(fields) + "]"


def _atoi(text: str) -> int:
    """``strconv.Atoi`` (64-bit): an optional sign and ASCII digits, or its error."""
    if not atoi_text(text):
        raise CronError(f'strconv.Atoi: parsing "{text}": invalid syntax')
    number = atoi(text)
    if number is None:  # the syntax is right: past int64
        raise CronError(f'strconv.Atoi: parsing "{text}": value out of range')
    return number


# robfig/cron/v3 parser.go: mustParseInt
def _parse_int(expr: str) -> int:
    try:
        number = _atoi(expr)
    except CronError as exc:
        raise CronError(f"failed to parse int from {expr}: {exc}") from None
    if number < 0:
        raise CronError(f"negative number ({number}) not allowed: {expr}")
    return number


# robfig/cron/v3 parser.go: parseIntOrName
def _parse_int_or_name(expr: str, names: Mapping[str, int] | None) -> int:
    if names is not None:
        named = names.get(expr.lower())
        if named is not None:
            return named
    return _parse_int(expr)


# robfig/cron/v3 parser.go: getRange
def _range(expr: str, bounds: _Bounds) -> tuple[set[int], bool]:
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    single = len(low_and_high) == 1
    star = False
    if low_and_high[0] in ("*", "?"):
        start, end, star = bounds.low, bounds.high, True
    else:
        start = _parse_int_or_name(low_and_high[0], bounds.names)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _parse_int_or_name(low_and_high[1], bounds.names)
        else:
            raise CronError(f"too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _parse_int(range_and_step[1])
        if single:  # "N/step" means "N-max/step"
            end = bounds.high
        if step > 1:
            star = False
    else:
        raise CronError(f"too many slashes: {expr}")
    if start < bounds.low:
        raise CronError(f"beginning of range ({start}) below minimum ({bounds.low}): {expr}")
    if end > bounds.high:
        raise CronError(f"end of range ({end}) above maximum ({bounds.high}): {expr}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise CronError(f"step of range should be a positive number: {expr}")
    return set(range(start, end + 1, step)), star


# robfig/cron/v3 parser.go: getField (a comma-separated list; empty items are skipped by
# strings.FieldsFunc, so "," alone is accepted and matches nothing)
def _field(text: str, bounds: _Bounds) -> CronField:
    values: set[int] = set()
    star = False
    for expr in (part for part in text.split(",") if part):
        matched, expr_star = _range(expr, bounds)
        values |= matched
        star = star or expr_star
    return CronField(frozenset(values), star)


def _all(bounds: _Bounds) -> CronField:
    return CronField(frozenset(range(bounds.low, bounds.high + 1)), True)


def _one(value: int) -> CronField:
    return CronField(frozenset({value}), False)


# robfig/cron/v3 parser.go: parseDescriptor
def _descriptor(spec: str, zone: str | None) -> CronSchedule:
    minute, hour = _one(0), _one(0)
    if spec in ("@yearly", "@annually"):
        return CronSchedule(minute, hour, _one(1), _one(1), _all(_DOW), None, zone)
    if spec == "@monthly":
        return CronSchedule(minute, hour, _one(1), _all(_MONTHS), _all(_DOW), None, zone)
    if spec == "@weekly":
        return CronSchedule(minute, hour, _all(_DOM), _all(_MONTHS), _one(0), None, zone)
    if spec in ("@daily", "@midnight"):
        return CronSchedule(minute, hour, _all(_DOM), _all(_MONTHS), _all(_DOW), None, zone)
    if spec == "@hourly":
        return CronSchedule(minute, _all(_HOURS), _all(_DOM), _all(_MONTHS), _all(_DOW), None, zone)
    every = "@every "
    if spec.startswith(every):
        try:
            nanoseconds = parse_go_duration(spec[len(every) :])
        except ValueError as exc:
            raise CronError(f"failed to parse duration {spec}: {exc}") from None
        # Every(): at least a second, whole seconds
        seconds = max(nanoseconds, 10**9) // 10**9
        return CronSchedule(
            _all(_MINUTES), _all(_HOURS), _all(_DOM), _all(_MONTHS), _all(_DOW), seconds, zone
        )
    raise CronError(f"unrecognized descriptor: {spec}")


def parse_standard(spec: str, known_zones: Collection[str] | None = None) -> CronSchedule:
    """``cron.ParseStandard(spec)``; raises :class:`CronError` with the library's message.

    A ``TZ=``/``CRON_TZ=`` prefix names a location that must exist; ``known_zones`` decides that,
    and when it is None any name is taken.
    """
    if not spec:
        raise CronError("empty spec string")
    zone: str | None = None
    if spec.startswith(("TZ=", "CRON_TZ=")):
        space = spec.find(" ")
        if space == -1:
            # v3.0.1 slices spec[eq+1:-1] and panics: the request fails either way
            raise CronError(f"no space after the time zone in {spec}")
        zone = spec[spec.index("=") + 1 : space]
        if known_zones is not None and zone not in ("", "UTC", "Local") and zone not in known_zones:
            raise CronError(f"provided bad location {zone}: unknown time zone {zone}")
        spec = spec[space:].strip("".join(_GO_SPACE))
    if spec.startswith("@"):
        return _descriptor(spec, zone)
    fields = go_fields(spec)
    if len(fields) != 5:
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: {_go_slice(fields)}")
    minute = _field(fields[0], _MINUTES)
    hour = _field(fields[1], _HOURS)
    dom = _field(fields[2], _DOM)
    month = _field(fields[3], _MONTHS)
    dow = _field(fields[4], _DOW)
    return CronSchedule(minute, hour, dom, month, dow, None, zone)


# time.ParseDuration: the units and their length in nanoseconds
_UNITS: Final[Mapping[str, int]] = {
    "ns": 1,
    "us": 10**3,
    "µs": 10**3,  # U+00B5
    "μs": 10**3,  # U+03BC
    "ms": 10**6,
    "s": 10**9,
    "m": 60 * 10**9,
    "h": 3600 * 10**9,
}


def _leading_digits(text: str) -> tuple[str, str]:
    end = 0
    while end < len(text) and "0" <= text[end] <= "9":
        end += 1
    return text[:end], text[end:]


def parse_go_duration(text: str) -> int:
    """Go's ``time.ParseDuration``: nanoseconds, or ValueError with Go's message."""
    original = text
    invalid = f'time: invalid duration "{original}"'
    negative = False
    if text and text[0] in "+-":
        negative = text[0] == "-"
        text = text[1:]
    if text == "0":
        return 0
    if not text:
        raise ValueError(invalid)
    total = 0
    while text:
        if not (text[0] == "." or "0" <= text[0] <= "9"):
            raise ValueError(invalid)
        whole, text = _leading_digits(text)
        if whole and int(whole) > 2**63:  # leadingInt's overflow
            raise ValueError(invalid)
        fraction = ""
        if text.startswith("."):
            fraction, text = _leading_digits(text[1:])
            had_point = True
        else:
            had_point = False
        if not whole and not (had_point and fraction):
            raise ValueError(invalid)
        end = 0
        while end < len(text) and not (text[end] == "." or "0" <= text[end] <= "9"):
            end += 1
        if end == 0:
            raise ValueError(f'time: missing unit in duration "{original}"')
        unit_name, text = text[:end], text[end:]
        unit = _UNITS.get(unit_name)
        if unit is None:
            raise ValueError(f'time: unknown unit "{unit_name}" in duration "{original}"')
        value = int(whole) if whole else 0
        if value > 2**63 // unit:
            raise ValueError(invalid)
        value *= unit
        if fraction:
            value += int(int(fraction[:19]) * (unit / 10 ** len(fraction[:19])))
            if value > 2**63:
                raise ValueError(invalid)
        total += value
        if total > 2**63:
            raise ValueError(invalid)
    if negative:
        return -total
    if total > 2**63 - 1:
        raise ValueError(invalid)
    return total
