"""Int-or-percent values (``maxSurge``, ``maxUnavailable``) as the apps controllers read them.

Two readings of the same field exist in Kubernetes and they disagree on some inputs:

* API validation (``ValidatePositiveIntOrPercent`` in ``pkg/apis/apps/validation``) accepts
  a non-negative integer or a string matching ``[0-9]+%``;
* the controllers (``intstr.GetScaledValueFromIntOrPercent``) accept any integer and any string
  ``<Atoi-integer>%``, so ``"-5%"`` and ``"+5%"`` scale fine there although validation refuses them.

Every function here says which of the two it follows.

Absent fields (``None``) mean "not written in the manifest": the planners substitute the apps/v1
defaults from ``pkg/apis/apps/v1/defaults.go`` (see :data:`DEFAULTS`), because an object that
reaches a controller has always been defaulted by the API server first.
"""

from __future__ import annotations

from types import MappingProxyType

from kpolicy.k8s.validation import percent_text
from kpolicy.workload import int_value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final

__all__ = [
    "DAEMONSET_MAX_SURGE_DEFAULT",
    "DAEMONSET_MAX_UNAVAILABLE_DEFAULT",
    "DEFAULTS",
    "DEPLOYMENT_MAX_SURGE_DEFAULT",
    "DEPLOYMENT_MAX_UNAVAILABLE_DEFAULT",
    "STATEFULSET_MAX_UNAVAILABLE_DEFAULT",
    "daemonset_surge_and_unavailable",
    "is_not_more_than_100_percent",
    "is_percent",
    "percent_value",
    "resolve_fenceposts",
    "scaled_value",
    "statefulset_max_unavailable",
    "validate_int_or_percent",
]

# pkg/apis/apps/v1/defaults.go, SetDefaults_Deployment: both fields 25% when the rolling update
# strategy is in effect and the field is unset.
DEPLOYMENT_MAX_SURGE_DEFAULT: Final = "25%"
DEPLOYMENT_MAX_UNAVAILABLE_DEFAULT: Final = "25%"
# SetDefaults_DaemonSet: maxUnavailable 1 and maxSurge 0 when unset.
DAEMONSET_MAX_UNAVAILABLE_DEFAULT: Final = 1
DAEMONSET_MAX_SURGE_DEFAULT: Final = 0
# SetDefaults_StatefulSet fills maxUnavailable with 1 (behind the MaxUnavailableStatefulSet gate);
# the StatefulSet controller's getStatefulSetMaxUnavailable also falls back to 1 when it is nil,
# so the effective value is 1 either way.
STATEFULSET_MAX_UNAVAILABLE_DEFAULT: Final = 1

# Read-only view: kind -> field -> default int-or-string value.
DEFAULTS: Final = MappingProxyType(
    {
        "Deployment": MappingProxyType(
            {
                "maxSurge": DEPLOYMENT_MAX_SURGE_DEFAULT,
                "maxUnavailable": DEPLOYMENT_MAX_UNAVAILABLE_DEFAULT,
            }
        ),
        "DaemonSet": MappingProxyType(
            {
                "maxSurge": DAEMONSET_MAX_SURGE_DEFAULT,
                "maxUnavailable": DAEMONSET_MAX_UNAVAILABLE_DEFAULT,
            }
        ),
        "StatefulSet": MappingProxyType({"maxUnavailable": STATEFULSET_MAX_UNAVAILABLE_DEFAULT}),
    }
)

_INT32_MIN: Final = -(2**31)
_INT32_MAX: Final = 2**31 - 1
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1

# strconv.Atoi in base 10: optional sign, ASCII digits only (no spaces, no underscores).
_ATOI: Final = r"[+-]?[0-9]+"


def may_fit_int64(text: str) -> bool:
    """Whether ``text`` (an optional sign and ASCII digits) has at most 19 digits after its
    leading zeros, so that the int64 range test on :func:`digits_int` decides. A longer one is
    out of range for strconv.Atoi, and ``int()`` refuses a text of more than 4,300 digits
    (ValueError), which a manifest may hold."""
    return len(text.lstrip("+-").lstrip("0")) <= 19


def digits_int(text: str) -> int:
    """The int of ``text`` (an optional sign and ASCII digits that :func:`may_fit_int64`), its
    leading zeros left out first: ``int()`` counts them against its limit of digits."""
    digits = text.lstrip("+-").lstrip("0") or "0"
    return -int(digits) if text.startswith("-") else int(digits)


def atoi_text(text: str) -> bool:
    """An optional sign and ASCII digits (what strconv.Atoi parses), told without its pattern."""
    digits = text[1:] if text[:1] in ("+", "-") else text
    return digits.isascii() and digits.isdigit()


# each function above with the pattern it stands for (a pattern costs 20 µs to compile, paid
# by a run for the one percentage it reads): tests/k8s/test_validation_text.py holds them
TEXT_SHAPES: Final = ((atoi_text, _ATOI, False),)

_NOT_INT_OR_PERCENT: Final = "invalid int-or-percent value {}: must be an integer or a percentage"


def _as_int(value: object) -> int | None:
    """The integer an IntOrString holds after decoding, or None when it is not an integer.

    YAML booleans are not integers. An integral float such as ``2.0`` becomes the JSON number
    ``2`` on the YAML-to-JSON path of the API server and decodes as the integer 2; ``2.5``
    fails to decode into an int32. Values outside int32 also fail to decode.
    """
    number = int_value(value)
    if number is None or not _INT32_MIN <= number <= _INT32_MAX:
        return None
    return number


def atoi(text: str) -> int | None:
    """strconv.Atoi (base 10, 64-bit int): the number, or None for its syntax and range errors
    (any length of digits: no ValueError)."""
    if not atoi_text(text) or not may_fit_int64(text):
        return None
    number = digits_int(text)
    if not _INT64_MIN <= number <= _INT64_MAX:
        return None
    return number


def _scale(percent: int, total: int, round_up: bool) -> int:
    # Go computes ceil/floor(float64(p) * float64(total) / 100); exact integer arithmetic gives
    # the same result whenever |p * total| < 2**53, i.e. for every realistic replica count.
    product = percent * total
    if round_up:
        return -((-product) // 100)
    return product // 100


def _describe(value: object) -> str:
    if isinstance(value, str):
        return repr(value)
    return f"{value!r} ({type(value).__name__})"


# follows k8s.io/apimachinery/pkg/util/intstr.GetScaledValueFromIntOrPercent
# (with getIntOrPercentValueSafely)
def scaled_value(value: object, total: int, round_up: bool) -> int:
    """Resolve an int-or-percent against ``total`` the way the controllers do.

    An integer is returned unchanged (it is not clamped, and a negative integer stays
    negative). A string must end in ``%`` and the rest must parse with ``strconv.Atoi``; the
    percentage of ``total`` is rounded up or down as asked. ``"25"`` (no ``%``), ``"abc"``,
    ``"%"``, ``"5.5%"`` and ``None`` raise :class:`ValueError`. ``"-5%"`` and ``"+5%"`` are
    accepted here exactly as the controller accepts them, although API validation rejects them.
    """
    if value is None:
        raise ValueError("invalid int-or-percent value: none given")
    number = _as_int(value)
    if number is not None:
        return number
    if isinstance(value, str):
        if not value.endswith("%"):
            raise ValueError(
                f"invalid int-or-percent value {value!r}: "
                "a string must be a percentage such as '25%'"
            )
        percent = atoi(value[:-1])
        if percent is None:
            raise ValueError(
                f"invalid int-or-percent value {value!r}: {value[:-1]!r} is not an integer"
            )
        return _scale(percent, total, round_up)
    raise ValueError(_NOT_INT_OR_PERCENT.format(_describe(value)))


def is_percent(value: object) -> bool:
    """True when the controllers scale ``value`` as a percentage of a total.

    Follows the ``isPercent`` result of ``getIntOrPercentValueSafely``: a string ending in
    ``%`` whose remainder ``strconv.Atoi`` accepts (so ``"-5%"`` counts; see
    :func:`percent_value` for what validation accepts).
    """
    return isinstance(value, str) and value.endswith("%") and atoi(value[:-1]) is not None


# follows k8s.io/kubernetes/pkg/apis/apps/validation.getPercentValue
def percent_value(value: object) -> int | None:
    """The number before ``%`` when ``value`` is a percentage that validation accepts, else None."""
    if isinstance(value, str) and percent_text(value):
        # strconv.Atoi's answer past int64 is the largest int64 (getPercentValue ignores the
        # range error)
        return digits_int(value[:-1]) if may_fit_int64(value[:-1]) else _INT64_MAX
    return None


# follows k8s.io/kubernetes/pkg/apis/apps/validation.ValidatePositiveIntOrPercent
# (strings via k8s.io/apimachinery/pkg/util/validation.IsValidPercent,
# integers via ValidateNonnegativeField)
def validate_int_or_percent(value: object) -> list[str]:
    """Errors for a ``maxSurge``/``maxUnavailable`` value: a non-negative int or ``N%``."""
    if isinstance(value, str):
        if not percent_text(value):
            return [
                (
                    f"invalid value {value!r}: a percentage must be digits followed by '%' "
                    "(for example '1%' or '93%')"
                )
            ]
        return []
    number = _as_int(value)
    if number is None:
        return [
            f"invalid value {_describe(value)}: must be an integer or a percentage such as '5%'"
        ]
    if number < 0:
        return [f"invalid value {number}: must be greater than or equal to 0"]
    return []


# follows k8s.io/kubernetes/pkg/apis/apps/validation.IsNotMoreThan100Percent
def is_not_more_than_100_percent(value: object) -> list[str]:
    """Errors when ``value`` is a valid percentage above 100%; integers are not checked here."""
    percent = percent_value(value)
    if percent is None or percent <= 100:
        return []
    return [f"invalid value {value!r}: must not be greater than 100%"]


# follows k8s.io/kubernetes/pkg/controller/deployment/util.ResolveFenceposts
def resolve_fenceposts(max_surge: object, max_unavailable: object, desired: int) -> tuple[int, int]:
    """``(surge, unavailable)`` for a RollingUpdate Deployment with ``desired`` replicas.

    Surge rounds up, unavailable rounds down; when both come out 0 the controller allows one
    unavailable pod. ``None`` stands for an absent field and takes the apps/v1 default of 25%
    (the Go function would read nil as 0, but defaulting means it never sees nil).
    Raises :class:`ValueError` for values the controller cannot read.
    """
    surge_value = DEPLOYMENT_MAX_SURGE_DEFAULT if max_surge is None else max_surge
    unavailable_value = (
        DEPLOYMENT_MAX_UNAVAILABLE_DEFAULT if max_unavailable is None else max_unavailable
    )
    surge = scaled_value(surge_value, desired, round_up=True)
    unavailable = scaled_value(unavailable_value, desired, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


# follows k8s.io/kubernetes/pkg/controller/daemon/util.SurgeCount and UnavailableCount, and the
# fallback in DaemonSetsController.updatedDesiredNodeCounts (pkg/controller/daemon/update.go)
def daemonset_surge_and_unavailable(
    max_surge: object, max_unavailable: object, desired_number_scheduled: int
) -> tuple[int, int]:
    """``(surge, unavailable)`` for a RollingUpdate DaemonSet over its scheduled nodes.

    Both percentages round UP (unlike a Deployment's maxUnavailable). When both resolve to 0
    and at least one node wants a pod, one unavailable pod is allowed. ``None`` takes the
    apps/v1 defaults (maxUnavailable 1, maxSurge 0). For an OnDelete DaemonSet both counts are
    0 in the controller; callers decide that before calling. Raises :class:`ValueError` for
    values the controller cannot read.
    """
    unavailable_value = (
        DAEMONSET_MAX_UNAVAILABLE_DEFAULT if max_unavailable is None else max_unavailable
    )
    unavailable = scaled_value(unavailable_value, desired_number_scheduled, round_up=True)
    # SurgeCount returns 0 for a nil maxSurge; the apps/v1 default is also 0.
    surge = (
        DAEMONSET_MAX_SURGE_DEFAULT
        if max_surge is None
        else scaled_value(max_surge, desired_number_scheduled, round_up=True)
    )
    if desired_number_scheduled > 0 and unavailable == 0 and surge == 0:
        unavailable = 1
    return surge, unavailable


# follows k8s.io/kubernetes/pkg/controller/statefulset.getStatefulSetMaxUnavailable
def statefulset_max_unavailable(max_unavailable: object, replicas: int) -> int:
    """How many StatefulSet pods may be unavailable during a rolling update.

    A percentage rounds down, and the result is never below 1; ``None`` means 1. The value is
    only honoured when the MaxUnavailableStatefulSet feature gate is on; without it the
    controller updates one pod at a time, which this function's default also gives.
    Raises :class:`ValueError` for values the controller cannot read.
    """
    value = STATEFULSET_MAX_UNAVAILABLE_DEFAULT if max_unavailable is None else max_unavailable
    return max(scaled_value(value, replicas, round_up=False), 1)
