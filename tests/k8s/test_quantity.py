from __future__ import annotations

import re
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpolicy.k8s.quantity import (
    is_valid_quantity,
    parse_quantity,
    parse_quantity_string,
    quantity_nanos,
    quantity_string_nanos,
)
from tests.helpers import examples
from tests.k8s import quantity_reference

F = Fraction
NANO = F(1, 10**9)
INT64_MAX = 2**63 - 1

VALID: list[tuple[str, Fraction]] = [
    # zeros in every form (TestQuantityParseZero, TestQuantityParse)
    *(
        (text, F(0))
        for text in ["0", "0n", "0u", "0m", "0Ki", "0k", "0Mi", "0M", "0Gi", "0G", "00"]
    ),
    # binary suffixes
    ("1Ki", F(1024)),
    ("8Ki", F(8 * 1024)),
    ("7Mi", F(7 * 2**20)),
    ("6Gi", F(6 * 2**30)),
    ("5Ti", F(5 * 2**40)),
    ("4Pi", F(4 * 2**50)),
    ("3Ei", F(3 * 2**60)),
    ("10Ti", F(10 * 2**40)),
    ("512Mi", F(512 * 2**20)),
    # decimal suffixes
    ("5n", F(5, 10**9)),
    ("4u", F(4, 10**6)),
    ("3m", F(3, 1000)),
    ("500m", F(1, 2)),
    ("9", F(9)),
    ("8k", F(8000)),
    ("50k", F(50000)),
    ("7M", F(7 * 10**6)),
    ("6G", F(6 * 10**9)),
    ("5T", F(5 * 10**12)),
    ("40T", F(40 * 10**12)),
    ("300T", F(300 * 10**12)),
    ("2P", F(2 * 10**15)),
    ("1E", F(10**18)),
    # decimal exponents
    ("1E-3", F(1, 1000)),
    ("1e3", F(1000)),
    ("1E6", F(10**6)),
    ("1e9", F(10**9)),
    ("1E12", F(10**12)),
    ("1e15", F(10**15)),
    ("1E18", F(10**18)),
    ("1e+3", F(1000)),
    ("1.2e3", F(1200)),
    ("1.3E+6", F(1_300_000)),
    # fractions
    ("0.5", F(1, 2)),
    ("9.01", F(901, 100)),
    ("8.1k", F(8100)),
    ("100.035k", F(100035)),
    ("7.123456M", F(7123456)),
    ("6.987654321G", F(6987654321)),
    ("1.01E", F(101 * 10**16)),
    ("1.5Gi", F(3 * 2**29)),
    ("100.035Ki", F(100035 * 1024, 1000)),
    ("0.5Mi", F(2**19)),
    ("0.05Gi", F(5 * 2**30, 100)),
    ("0.025Ti", F(25 * 2**40, 1000)),
    ("0.1m", F(1, 10000)),
    # rounded up (away from zero) to nano
    ("3.001n", F(4, 10**9)),
    ("1.1E-9", F(2, 10**9)),
    ("0.0000000001", NANO),
    ("0.0000000005", NANO),
    ("0.5e-9", NANO),
    ("0.9n", NANO),
    ("0.00000012345", F(124, 10**9)),
    ("0.00000012354", F(124, 10**9)),
    ("0.000000000001Ki", F(2, 10**9)),
    ("1e-10", NANO),
    ("-1e-10", -NANO),
    # binary values are capped at the int64 maximum, decimal ones are not
    ("9Ei", F(INT64_MAX)),
    ("9223372036854775807Ki", F(INT64_MAX)),
    ("8Ei", F(INT64_MAX)),
    ("12E", F(12 * 10**18)),
    ("99999999999999999999", F(99999999999999999999)),
    # written by trolls, accepted by the scanner
    (".001", F(1, 1000)),
    (".0001k", F(1, 10)),
    ("1.", F(1)),
    ("1.G", F(10**9)),
    (".5Ki", F(512)),
    ("-", F(0)),
    ("+", F(0)),
    (".", F(0)),
    ("Mi", F(0)),
    ("k", F(0)),
    # signs
    ("-1", F(-1)),
    ("+1", F(1)),
    ("-100m", F(-1, 10)),
    ("-1.5Gi", F(-3 * 2**29)),
    ("-9Ei", F(-INT64_MAX)),
    # the exponent is truncated to int32 as Go does
    ("1e4294967296", F(1)),
    ("1e9223372036854775807", F(1, 10)),
    # zero stays zero whatever the exponent
    ("0e2147483647", F(0)),
    ("0.00000000000000000000e2147483647", F(0)),
    ("0e-2147483648", F(0)),
    ("1e-2147483648", NANO),
]

INVALID: list[str] = [
    # TestQuantityParse's invalid list
    "1.1.M",
    "1+1.0M",
    "0.1mi",
    "0.1am",
    "aoeu",
    ".5i",
    "1i",
    "-3.01i",
    "-3.01e-",
    " 1",
    "1 ",
    # case and unit mistakes
    "2GB",
    "512mi",
    "500mi",
    "1K",
    "1ki",
    "1KI",
    "1KiB",
    "1Zi",
    "1µ",
    "1.5.5",
    "",
    "1e",
    "1e+",
    "1e1.5",
    "1e3k",
    "1E3Ki",
    "1e+-3",
    "1..5",
    "1-",
    "++1",
    "1,5",
    "1_000",
    "0x10",
    "１",
    "٣",
    "Inf",
    "NaN",
    "1\x00",
    "1e9223372036854775808",
    "1e99999999999999999999",
    # a bare binary suffix whose slow path has no digits to parse
    "Pi",
    "Ei",
    # absurdly large exponents are refused rather than materialized
    "1e5000",
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_parse_quantity_string(text: str, expected: Fraction) -> None:
    assert parse_quantity_string(text) == expected
    assert parse_quantity(text) == expected
    assert is_valid_quantity(text)


@pytest.mark.parametrize(("text", "expected"), [(t, e) for t, e in VALID if t[0] not in "+-"])
def test_explicit_signs(text: str, expected: Fraction) -> None:
    assert parse_quantity_string("+" + text) == expected
    assert parse_quantity_string("-" + text) == -expected


@pytest.mark.parametrize("text", INVALID)
def test_parse_quantity_string_rejects(text: str) -> None:
    assert parse_quantity_string(text) is None


@pytest.mark.parametrize("text", [t for t in INVALID if t.strip() == t])
def test_parse_quantity_rejects(text: str) -> None:
    assert parse_quantity(text) is None
    assert not is_valid_quantity(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # JSON decoding trims white space around the string
        (" 1", F(1)),
        ("1 ", F(1)),
        ("\t500m\n", F(1, 2)),
        # YAML numbers arrive as JSON number text
        (1, F(1)),
        (0, F(0)),
        (-2, F(-2)),
        (0.5, F(1, 2)),
        (0.1, F(1, 10)),
        (1e-07, F(1, 10**7)),
        (1e-10, NANO),
        (1000.0, F(1000)),
        (1e16, F(10**16)),
        (2**70, F(2**70)),
    ],
)
def test_parse_quantity_decoding(value: object, expected: Fraction) -> None:
    assert parse_quantity(value) == expected


@pytest.mark.parametrize(
    "value",
    [None, True, False, float("nan"), float("inf"), [], ["1"], {"a": 1}, b"1", " ", "1 Ki"],
)
def test_parse_quantity_hostile(value: object) -> None:
    assert parse_quantity(value) is None
    assert not is_valid_quantity(value)


def test_parse_quantity_string_wrong_type() -> None:
    assert parse_quantity_string(1) is None  # type: ignore[arg-type]


# quantity_nanos computes in whole nanos, with integers; the reference is the parser it replaced,
# which computed with Fractions (fractions and decimal are not imported at start-up)
_QUANTITY_TEXT = st.text(alphabet="0123456789.+-eEinumkKMGTP ", max_size=14)
_QUANTITY_VALUES = (
    _QUANTITY_TEXT
    | st.sampled_from([t for t, _ in VALID] + INVALID)
    | st.builds(
        "{}{}{}{}".format,
        st.sampled_from(["", "+", "-"]),
        st.from_regex(r"[0-9]{0,25}", fullmatch=True),
        st.sampled_from(["", "."]) | st.from_regex(r"\.[0-9]{1,25}", fullmatch=True),
        st.sampled_from(["", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi"])
        | st.sampled_from(["Ti", "Pi", "Ei", "e", "E"])
        | st.from_regex(r"[eE][+-]?[0-9]{1,5}", fullmatch=True),
    )
    | st.integers()
    | st.floats()
    | st.none()
    | st.booleans()
)


@settings(max_examples=examples(full=20_000, quick=1_500), deadline=None)
@given(_QUANTITY_VALUES)
def test_nanos_agree_with_the_fraction_reference(value: object) -> None:
    expected = quantity_reference.parse_quantity(value)
    nanos = quantity_nanos(value)
    if expected is None:
        assert nanos is None
    else:
        assert nanos is not None
        assert Fraction(nanos, 10**9) == expected
        assert parse_quantity(value) == expected
    if isinstance(value, str):
        reference = quantity_reference.parse_quantity_string(value)
        nanos = quantity_string_nanos(value)
        assert (None if nanos is None else Fraction(nanos, 10**9)) == reference
        assert parse_quantity_string(value) == reference


def test_large_and_tiny_quantities_agree_with_the_reference() -> None:
    for text in [
        "9223372036854775807",
        "9223372036854775808",
        "9223372036854775807Ki",
        "8Ei",
        "7.99999999999Ei",
        "0.000000000000000000001Ei",
        "1e4000",
        "1e-4000",
        "1e-4001",
        "123456789012345678901234567890m",
        "-0.0000000001Mi",
        "1e-9",
        "1.00000000001",
    ]:
        expected = quantity_reference.parse_quantity_string(text)
        nanos = quantity_string_nanos(text)
        assert (None if nanos is None else Fraction(nanos, 10**9)) == expected, text


# every character around a quantity: the white space TrimSpace trims and some it does not
_AROUND = st.text(
    alphabet="\t\n\v\f\r \x85\xa0\u1680\u2000\u2005\u200a\u200b\u2028\u2029\u202f\u205f\u3000\x1c1m",
    max_size=4,
)


@settings(max_examples=examples(full=5_000, quick=500), deadline=None)
@given(_AROUND, st.sampled_from(["1", "500m", " ", "", "1 Ki", "\n"]), _AROUND)
def test_white_space_is_trimmed_as_the_references_pattern_trims_it(
    before: str, text: str, after: str
) -> None:
    """quantity_nanos trims with str.strip of TrimSpace's characters (no pattern compiled):
    what the reference's pattern of them removes, every character of it included."""
    from kpolicy.k8s import quantity

    value = before + text + after
    assert value.strip(quantity._TRIM_CHARS) == quantity_reference._TRIM_RE.sub("", value)
    expected = quantity_reference.parse_quantity(value)
    nanos = quantity_nanos(value)
    assert (None if nanos is None else Fraction(nanos, 10**9)) == expected
    assert not any(
        isinstance(each, re.Pattern) or type(each).__name__ == "_LazyPattern"
        for each in vars(quantity).values()
    )


def test_the_trimmed_characters_are_the_references_class() -> None:
    from kpolicy.k8s import quantity

    spaces = {
        chr(code) for code in range(0x3001) if quantity_reference._TRIM_RE.fullmatch(chr(code))
    }
    assert set(quantity._TRIM_CHARS) == spaces
    assert len(quantity._TRIM_CHARS) == len(spaces)


_SHAPE = re.compile(
    r"(?P<sign>[+-]?)(?P<num>[0-9]*)(?:\.(?P<denom>[0-9]*))?(?P<suffix>[eEinumkKMGTP]*[+-]?[0-9]*)"
)


@settings(max_examples=examples(full=30_000, quick=3_000), deadline=None)
@given(st.text(alphabet="0123456789.+-eEinumkKMGTPx \u0663", max_size=10))
def test_a_quantitys_parts_are_the_patterns_groups(text: str) -> None:
    """_quantity_parts reads the shape parseQuantityString scans as the pattern it replaced
    does (its one reading): the same parts, or None where the pattern does not match."""
    from kpolicy.k8s import quantity

    match = _SHAPE.fullmatch(text)
    parts = quantity._quantity_parts(text)
    if match is None:
        assert parts is None
    else:
        expected = (match["sign"] == "-", match["num"], match["denom"] or "", match["suffix"])
        assert parts == expected
