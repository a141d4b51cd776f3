"""The ``format`` checks of the built-in schemas (quantities, ports, int-or-percent, base64,
integer widths, as the API server decodes them): each returns None for a good value, else the
rule and the message; the same checks serve the fast check, the explaining evaluator and
jsonschema's format checker."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable

from kpolicy.k8s.validation import is_valid_percent, is_valid_port_name
from kpolicy.schema.problems import (
    RULE_FORMAT_INVALID,
    RULE_TYPE_MISMATCH,
    RULE_VALUE_INVALID,
    clip,
    show,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final

    from jsonschema import FormatChecker

_INT32: Final = (-(2**31), 2**31 - 1)
_INT64: Final = (-(2**63), 2**63 - 1)


FormatResult = tuple[str, str] | None
_QUANTITY_HINTS: Final = {
    "ki": "Ki",
    "mi": "Mi",
    "gi": "Gi",
    "ti": "Ti",
    "pi": "Pi",
    "ei": "Ei",
    "kb": "k (or Ki)",
    "mb": "M (or Mi)",
    "gb": "G (or Gi)",
    "tb": "T (or Ti)",
    "pb": "P (or Pi)",
    "eb": "E (or Ei)",
}


@functools.cache
def _quantity_checker() -> Callable[[str], bool]:
    # imported on first use: most documents hold no quantity
    from kpolicy.k8s.quantity import is_valid_quantity as checker

    return checker


def is_valid_quantity(value: object) -> bool:
    """Whether ``resource.ParseQuantity`` (through ``Quantity.UnmarshalJSON``) accepts it."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return bool(_quantity_checker()(value))
    return False


def _quantity_problem(value: object) -> FormatResult:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None  # the type check reports it
    if is_valid_quantity(value):
        return None
    if isinstance(value, float):
        return RULE_FORMAT_INVALID, f"{show(value)} is not a valid quantity"
    digits = sum(1 for char in str(value) if char.isdigit()) if isinstance(value, str) else 0
    if digits > _QUANTITY_DIGITS:
        return RULE_FORMAT_INVALID, (
            f"{show(value)} has {digits} digits: kpolicy reads quantities of at most "
            f"{_QUANTITY_DIGITS} digits, and no real amount has more"
        )
    message = f"{show(value)} is not a valid quantity"
    suffix = re.fullmatch(r"\s*[+-]?[0-9.]*\s*([A-Za-z]+)\s*", str(value))
    hint = _QUANTITY_HINTS.get(suffix.group(1).lower()) if suffix else None
    if suffix and hint:
        message += f": did you mean the suffix {hint}?"
    else:
        message += " (examples: 500Mi, 1Gi, 0.5, 100m, 1e3)"
    return RULE_FORMAT_INVALID, message


def _resource_quantity_problem(value: object) -> FormatResult:
    problem = _quantity_problem(value)
    if problem is not None:
        return problem
    if isinstance(value, bool) or value is None:
        return None
    negative = (isinstance(value, int | float) and value < 0) or (
        isinstance(value, str) and value.strip().startswith("-") and _nonzero(value)
    )
    if negative:
        return RULE_VALUE_INVALID, f"{show(value)} must be greater than or equal to 0"
    return None


_QUANTITY_DIGITS: Final = 4_000  # kpolicy.k8s.quantity.MAX_DIGITS


def _nonzero(text: str) -> bool:
    return re.search(r"[1-9]", text.split("e")[0].split("E")[0]) is not None


def _digits_text(value: str) -> bool:
    r"""Whether ``value`` is ``\s*[0-9]+\s*`` (str.strip's white space is the pattern's
    ``\s``), told by str methods rather than a pattern compiled in each process."""
    text = value.strip()
    return text.isascii() and text.isdigit()


def _port_text_problem(value: str) -> FormatResult:
    if _digits_text(value):
        return (
            RULE_TYPE_MISMATCH,
            f"port {show(value)} is a string, not a number: remove the quotes "
            "(a port given as a string must be a port name)",
        )
    errors = is_valid_port_name(value)
    if errors:
        return (
            RULE_TYPE_MISMATCH,
            f"port {show(value)} is a string but not a valid port name: " + "; ".join(errors),
        )
    return None


def _port_number_problem(value: object, allow_zero: bool = False) -> FormatResult:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    if 1 <= value <= 65535 or (allow_zero and value == 0):
        return None
    return RULE_VALUE_INVALID, f"port {value} must be between 1 and 65535, inclusive"


def _port_or_name_problem(value: object, allow_zero: bool = False) -> FormatResult:
    if isinstance(value, str):
        return _port_text_problem(value)
    return _port_number_problem(value, allow_zero)


def _port_name_problem(value: object) -> FormatResult:
    if not isinstance(value, str) or value == "":
        return None
    errors = is_valid_port_name(value)
    if errors:
        return RULE_FORMAT_INVALID, f"{show(value)} is not a valid port name: " + "; ".join(errors)
    return None


def _int_or_percent_problem(value: object) -> FormatResult:
    if isinstance(value, str):
        if _digits_text(value):
            return (
                RULE_TYPE_MISMATCH,
                f"{show(value)} is a string, not a number: remove the quotes, "
                f'or write a percentage such as "{value.strip()}%"',
            )
        errors = is_valid_percent(value)
        if errors:
            return RULE_FORMAT_INVALID, f"{show(value)} is not an integer or a percentage: " + (
                "; ".join(errors)
            )
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return RULE_VALUE_INVALID, f"{value} must be greater than or equal to 0"
    return None


def _byte_problem(value: object) -> FormatResult:
    if not isinstance(value, str):
        return None
    import base64  # a byte-format value only: not imported at start-up

    try:
        base64.b64decode(value.replace("\r", "").replace("\n", ""), validate=True)
    except ValueError:  # binascii.Error is one
        return (
            RULE_FORMAT_INVALID,
            f"{show(clip(value))} is not valid base64 (plain text belongs under stringData)",
        )
    return None


def _int_range_problem(bounds: tuple[int, int], bits: int) -> Callable[[object], FormatResult]:
    def check(value: object) -> FormatResult:
        if isinstance(value, bool) or not isinstance(value, int):
            return None
        if bounds[0] <= value <= bounds[1]:
            return None
        return RULE_TYPE_MISMATCH, f"{value} does not fit in a {bits}-bit integer"

    return check


FORMATS: Final[dict[str, Callable[[object], FormatResult]]] = {
    "quantity": _quantity_problem,
    "resource-quantity": _resource_quantity_problem,
    "port-or-name": _port_or_name_problem,
    "target-port": lambda value: _port_or_name_problem(value, allow_zero=True),
    "port-number": _port_number_problem,
    "port-name": _port_name_problem,
    "int-or-percent": _int_or_percent_problem,
    "byte": _byte_problem,
    "int32": _int_range_problem(_INT32, 32),
    "int64": _int_range_problem(_INT64, 64),
}
# custom resources: kube-openapi checks string formats only; int32/int64 are not enforced
CUSTOM_FORMATS: Final = ("byte",)


def _format_checker(names: Iterable[str]) -> FormatChecker:
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    for name in names:
        check = FORMATS[name]
        checker.checks(name)(functools.partial(_passes, check))
    return checker


def _passes(check: Callable[[object], FormatResult], value: object) -> bool:
    return check(value) is None


@functools.cache
def builtin_format_checker() -> FormatChecker:
    return _format_checker(FORMATS)


@functools.cache
def custom_format_checker() -> FormatChecker:
    return _format_checker(CUSTOM_FORMATS)
