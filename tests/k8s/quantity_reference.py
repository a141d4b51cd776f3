"""The Fraction-based quantity parser kpolicy used before it computed in whole nanos (kept as
the reference ``tests/k8s/test_quantity.py`` holds :mod:`kpolicy.k8s.quantity` to; it is
``resource.ParseQuantity`` read with exact rationals, the shape the Go code has)."""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Final

__all__ = ["parse_quantity", "parse_quantity_string"]

# The shape parseQuantityString scans: sign, integer digits, optional fraction, then suffix
# letters from its permissive set, an optional sign and digits.
_QUANTITY_RE: Final = re.compile(
    r"(?P<sign>[+-]?)(?P<num>[0-9]*)(?:\.(?P<denom>[0-9]*))?(?P<suffix>[eEinumkKMGTP]*[+-]?[0-9]*)"
)
# strconv.ParseInt(s, 10, 64) for a decimal exponent.
_EXPONENT_RE: Final = re.compile(r"[+-]?[0-9]+")
# strings.TrimSpace: Unicode white space (unicode.IsSpace), applied by Quantity.UnmarshalJSON.
_TRIM_RE: Final = re.compile(
    r"^[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|"
    r"[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$"
)

_DECIMAL_SUFFIXES: Final = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}
_BINARY_SUFFIXES: Final = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}

_INT64_MAX: Final = 2**63 - 1
_INT64_MIN: Final = -(2**63)
_MAX_INT64_FACTORS: Final = 18
_NANO: Final = Fraction(1, 10**9)
# Beyond this decimal exponent we refuse to build the number (see parse_quantity_string); below
# its negative, a non-zero value is simply rounded up to 1n.
_MAX_DECIMAL_EXPONENT: Final = 4_000
# Digits of the number part we read at most (Python refuses to convert more than 4,300 digits
# between text and int); no real quantity has that many.
MAX_DIGITS: Final = 4_000


def _int32_wrap(number: int) -> int:
    # Go's int32(x) conversion of an int64
    return (number + 2**31) % 2**32 - 2**31


def _interpret_suffix(suffix: str) -> tuple[int, int, str] | None:
    # follows resource.suffixHandler.interpret: (base, exponent, format)
    if suffix in _DECIMAL_SUFFIXES:
        return 10, _DECIMAL_SUFFIXES[suffix], "DecimalSI"
    if suffix in _BINARY_SUFFIXES:
        return 2, _BINARY_SUFFIXES[suffix], "BinarySI"
    if len(suffix) > 1 and suffix[0] in "eE" and _EXPONENT_RE.fullmatch(suffix[1:]) is not None:
        parsed = int(suffix[1:])
        if not _INT64_MIN <= parsed <= _INT64_MAX:
            return None
        return 10, _int32_wrap(parsed), "DecimalExponent"
    return None


# follows k8s.io/apimachinery/pkg/api/resource.ParseQuantity (with parseQuantityString)
def parse_quantity_string(text: str) -> Fraction | None:
    """The exact value of a quantity string, or None when ``ParseQuantity`` rejects it.

    No white space is trimmed here: ``" 1"`` is invalid, as it is for ``ParseQuantity``.
    Two deliberate differences: a decimal exponent above 4000 (``1e5000``) is rejected, where
    Kubernetes would keep the value in scaled form, and so is a number of more than
    :data:`MAX_DIGITS` digits, which Kubernetes would read with arbitrary precision.
    """
    if not isinstance(text, str) or not text:
        return None
    if text == "0":
        return Fraction(0)
    match = _QUANTITY_RE.fullmatch(text)
    if match is None:
        return None
    negative = match["sign"] == "-"
    num = match["num"].lstrip("0") or "0"
    denom = match["denom"] or ""
    if len(num) + len(denom) > MAX_DIGITS:
        return None
    interpreted = _interpret_suffix(match["suffix"])
    if interpreted is None:
        return None
    base, exponent, quantity_format = interpreted

    precision = -1
    scale = 0
    mantissa = 1
    if quantity_format in ("DecimalExponent", "DecimalSI"):
        scale = exponent
        precision = _MAX_INT64_FACTORS - (len(num) + len(denom))
    elif exponent >= 0 and not denom:
        mantissa = 1 << exponent
        precision = 15 - len(num) - (exponent * 3 // 10) - 1

    if base == 10 and exponent > _MAX_DECIMAL_EXPONENT and int(num + denom) != 0:
        # Kubernetes keeps such a value scaled (1e5000 parses); we refuse to build a number
        # with thousands of digits, since no real quantity is that large
        return None
    if precision >= 0:
        # the fast path: an int64 mantissa at a scale of at least nano
        scale -= len(denom)
        if scale >= -9:
            product = int(num + denom) * mantissa
            if product <= _INT64_MAX:
                return _scaled(-product if negative else product, scale)

    # the slow path: inf.Dec.SetString needs at least one digit in the number's text
    if not match["num"] and not denom:
        return None
    amount = Fraction(int(num + denom), 10 ** len(denom))
    if base == 10:
        if exponent < -_MAX_DECIMAL_EXPONENT:
            amount = _NANO if amount else Fraction(0)
        elif amount:
            amount *= Fraction(10) ** exponent
    else:
        amount *= 2**exponent
    if amount:
        # round up (away from zero) to nano precision
        amount = Fraction(math.ceil(amount / _NANO)) * _NANO
    if quantity_format == "BinarySI" and amount > _INT64_MAX:
        amount = Fraction(_INT64_MAX)
    return -amount if negative else amount


def _scaled(value: int, scale: int) -> Fraction:
    """``value × 10^scale``, built at once rather than by Fraction arithmetic."""
    if value == 0:
        return Fraction(0)
    if scale >= 0:
        return Fraction(value * 10**scale)
    return Fraction(value, 10**-scale)


# follows resource.Quantity.UnmarshalJSON (strings.TrimSpace, then ParseQuantity)
def parse_quantity(value: object) -> Fraction | None:
    """The exact value of a quantity field as the API server decodes it, or None if invalid.

    Strings are trimmed of surrounding white space (JSON decoding does that) and parsed with
    :func:`parse_quantity_string`. YAML numbers are accepted the way the API server receives
    them, as JSON number text: ``1`` is 1, ``0.5`` is 1/2, ``1e-07`` is 1/10**7. Booleans,
    null, NaN, infinities and other types are invalid.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if value.bit_length() > MAX_DIGITS * 3:  # more digits than MAX_DIGITS: no str() of it
            return None
        return parse_quantity_string(str(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        # repr gives the shortest round-tripping decimal, as Go's JSON float encoding does
        return parse_quantity_string(repr(value))
    if isinstance(value, str):
        if value[:1].isalnum() and value[-1:].isalnum():  # nothing to trim (the usual case)
            return parse_quantity_string(value)
        return parse_quantity_string(_TRIM_RE.sub("", value))
    return None


def is_valid_quantity(value: object) -> bool:
    """True when :func:`parse_quantity` accepts ``value``."""
    return parse_quantity(value) is not None
