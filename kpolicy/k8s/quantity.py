"""Resource quantities (``cpu: 500m``, ``memory: 512Mi``) as the API server reads them.

The grammar is ``resource.ParseQuantity``'s (``k8s.io/apimachinery/pkg/api/resource``)::

    quantity  := [+-] number suffix
    number    := digits | digits "." digits | digits "." | "." digits
    suffix    := binarySI | decimalSI | ("e" | "E") signed-integer
    binarySI  := Ki Mi Gi Ti Pi Ei            (powers of 1024)
    decimalSI := n u m "" k M G T P E         (powers of 1000)

Suffixes are case-sensitive: ``512mi`` and ``2GB`` are invalid, ``1E`` is 10**18 and
``1e3`` is 1000. The value is exact: as in Kubernetes a non-zero value finer than 1n is
rounded away from zero to 1n (so every value is a whole number of nanos), and a
binary-suffixed value beyond 2**63-1 is capped there. :func:`quantity_nanos` gives it as that
whole number, with integers only (the checks compare quantities so); :func:`parse_quantity`
as a :class:`fractions.Fraction` (importing fractions and decimal is 2 ms of a one-file
start-up, which reads quantities through :func:`quantity_nanos`).

The scanner accepts a few odd strings and so do we: a bare sign (``"-"``), a bare point
(``"."``) or a bare suffix such as ``"Mi"`` or ``"k"`` all parse as zero, and ``"1.G"`` is
``1G``; but ``"Pi"``, ``"Ei"`` (no digits on the slow path) are rejected.
"""

from __future__ import annotations

import math

TYPE_CHECKING = False
if TYPE_CHECKING:
    from fractions import Fraction
    from typing import Final

__all__ = [
    "MAX_DIGITS",
    "is_valid_quantity",
    "parse_quantity",
    "parse_quantity_string",
    "quantity_nanos",
    "quantity_string_nanos",
]

_DIGITS: Final = "0123456789"
# the suffix letters of parseQuantityString's permissive set
_SUFFIX_LETTERS: Final = "eEinumkKMGTP"
# strings.TrimSpace's white space (unicode.IsSpace), trimmed by Quantity.UnmarshalJSON: a
# str.strip of these characters (a regex of them took a run 0.3 ms to compile)
_TRIM_CHARS: Final = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
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
_NANOS_PER_UNIT: Final = 10**9
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
    if len(suffix) > 1 and suffix[0] in "eE" and _is_int_text(suffix[1:]):
        parsed = int(suffix[1:])
        if not _INT64_MIN <= parsed <= _INT64_MAX:
            return None
        return 10, _int32_wrap(parsed), "DecimalExponent"
    return None


def _quantity_parts(text: str) -> tuple[bool, str, str, str] | None:
    """The shape parseQuantityString scans, ``[+-]?`` then the integer digits ``[0-9]*``, an
    optional fraction ``(\\.[0-9]*)?`` and a suffix ``[eEinumkKMGTP]*[+-]?[0-9]*`` (the
    pattern's one reading: each part's characters cannot begin the next), as (negative, the
    integer digits, the fraction's digits, the suffix); None where ``text`` is not of it.
    Told by str methods: a pattern of it took each process 0.2-0.3 ms to compile."""
    negative = text[:1] == "-"
    rest = text[1:] if text[:1] in ("+", "-") else text
    after = rest.lstrip(_DIGITS)
    digits = rest[: len(rest) - len(after)]
    denom = ""
    if after[:1] == ".":
        fraction = after[1:]
        after = fraction.lstrip(_DIGITS)
        denom = fraction[: len(fraction) - len(after)]
    tail = after.lstrip(_SUFFIX_LETTERS)
    if tail[:1] in ("+", "-"):
        tail = tail[1:]
    if tail.lstrip(_DIGITS):
        return None
    return negative, digits, denom, after


def _is_int_text(text: str) -> bool:
    # what strconv.ParseInt(s, 10, 64) reads for a decimal exponent (before its range check):
    # an optional sign, then one or more ASCII digits
    digits = text[1:] if text[:1] in ("+", "-") else text
    return digits.isascii() and digits.isdigit()


def _ceil_div(numerator: int, denominator: int) -> int:
    # numerator >= 0, denominator > 0
    return -(-numerator // denominator)


# the answers of quantity_string_nanos per string (a run reads the same few quantities, 100m
# and 128Mi, in container after container), at most this many strings, then it starts again
_MEMO_LIMIT: Final = 4096
_ANSWERS: dict[str, int | None] = {}


def quantity_string_nanos(text: str) -> int | None:
    """:func:`general_quantity_string_nanos`, once per distinct string."""
    if text.__class__ is not str:
        return general_quantity_string_nanos(text)
    try:
        return _ANSWERS[text]
    except KeyError:
        pass
    if len(_ANSWERS) >= _MEMO_LIMIT:
        _ANSWERS.clear()
    found = _ANSWERS[text] = general_quantity_string_nanos(text)
    return found


# follows k8s.io/apimachinery/pkg/api/resource.ParseQuantity (with parseQuantityString)
def general_quantity_string_nanos(text: str) -> int | None:
    """The exact value of a quantity string in units of 1n (10**-9), or None when
    ``ParseQuantity`` rejects it.

    No white space is trimmed here: ``" 1"`` is invalid, as it is for ``ParseQuantity``.
    Two deliberate differences: a decimal exponent above 4000 (``1e5000``) is rejected, where
    Kubernetes would keep the value in scaled form, and so is a number of more than
    :data:`MAX_DIGITS` digits, which Kubernetes would read with arbitrary precision.
    """
    if not isinstance(text, str) or not text:
        return None
    if text == "0":
        return 0
    parts = _quantity_parts(text)
    if parts is None:
        return None
    negative, integer, denom, suffix = parts
    num = integer.lstrip("0") or "0"
    if len(num) + len(denom) > MAX_DIGITS:
        return None
    interpreted = _interpret_suffix(suffix)
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
                if not product:
                    return 0  # "0e2147483647" is zero: no power of ten is built
                scaled: int = product * 10 ** (scale + 9)
                return -scaled if negative else scaled

    # the slow path: inf.Dec.SetString needs at least one digit in the number's text
    if not integer and not denom:
        return None
    # the value is digits × base**exponent / 10**len(denom), rounded up (away from zero) to
    # nano precision: computed in nanos, with integers
    digits = int(num + denom)
    if not digits:
        return 0
    nanos: int
    if base == 10:
        if exponent < -_MAX_DECIMAL_EXPONENT:
            nanos = 1
        else:
            shift = exponent - len(denom) + 9
            nanos = digits * 10**shift if shift >= 0 else _ceil_div(digits, 10**-shift)
    else:
        nanos = _ceil_div(digits * 2**exponent * _NANOS_PER_UNIT, 10 ** len(denom))
    if quantity_format == "BinarySI" and nanos > _INT64_MAX * _NANOS_PER_UNIT:
        nanos = _INT64_MAX * _NANOS_PER_UNIT
    return -nanos if negative else nanos


def parse_quantity_string(text: str) -> Fraction | None:
    """:func:`quantity_string_nanos` as a :class:`fractions.Fraction` of the unit."""
    nanos = quantity_string_nanos(text)
    return None if nanos is None else _fraction(nanos)


def _fraction(nanos: int) -> Fraction:
    from fractions import Fraction

    return Fraction(nanos, _NANOS_PER_UNIT)


# follows resource.Quantity.UnmarshalJSON (strings.TrimSpace, then ParseQuantity)
def quantity_nanos(value: object) -> int | None:
    """The exact value of a quantity field as the API server decodes it, in units of 1n
    (10**-9), or None if invalid.

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
        return quantity_string_nanos(str(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        # repr gives the shortest round-tripping decimal, as Go's JSON float encoding does
        return quantity_string_nanos(repr(value))
    if isinstance(value, str):
        if value[:1].isalnum() and value[-1:].isalnum():  # nothing to trim (the usual case)
            return quantity_string_nanos(value)
        return quantity_string_nanos(value.strip(_TRIM_CHARS))
    return None


def parse_quantity(value: object) -> Fraction | None:
    """:func:`quantity_nanos` as a :class:`fractions.Fraction` of the unit."""
    nanos = quantity_nanos(value)
    return None if nanos is None else _fraction(nanos)


def is_valid_quantity(value: object) -> bool:
    """True when :func:`quantity_nanos` accepts ``value``."""
    return quantity_nanos(value) is not None
