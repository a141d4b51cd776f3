"""The string checks of kpolicy.k8s.validation keep their answer per string
(``validation._by_value``): held here to the checks themselves, on first and repeated calls,
on the values the other tests use, on generated strings, and past the memo's limit."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpolicy.k8s import validation as v
from tests.helpers import examples
from tests.k8s.test_validation import HOSTILE, INVALID, STRING_CHECKS, VALID, Check

MEMOISED: list[Check] = [check for check in STRING_CHECKS if v.general(check) is not check]

# label-like text: the characters the checks tell apart, so that generated values hit both
# the valid fast path and every error
_TEXT = st.text(alphabet="aZ09-_./: é~=\t", max_size=70) | st.text(max_size=300)


def test_every_string_check_is_memoised() -> None:
    assert {check.__name__ for check in MEMOISED} == {check.__name__ for check in STRING_CHECKS}, (
        "a string check without a memo: add it to MEMOISED's expectations"
    )


def _agree(check: Check, value: object) -> None:
    expected = v.general(check)(value)
    first = check(value)
    assert first == expected
    first.append("changed by a caller")  # the memo hands out copies
    assert check(value) == expected
    assert check(value) is not check(value)


@pytest.mark.parametrize(
    ("check", "value"),
    [*VALID, *INVALID, *((check, value) for check in MEMOISED for value in HOSTILE)],
)
def test_memoised_agrees_with_the_check(check: Check, value: object) -> None:
    _agree(check, value)


@pytest.mark.parametrize("check", MEMOISED)
@settings(max_examples=examples(full=2000, quick=200), deadline=None)
@given(value=_TEXT)
def test_memoised_agrees_on_generated_strings(check: Check, value: str) -> None:
    _agree(check, value)


def test_memo_starts_again_past_its_limit() -> None:
    check = v.is_qualified_name
    values = [f"k{index}/bad name" for index in range(v._MEMO_LIMIT + 10)]
    for value in values:
        assert check(value) == v.general(check)(value)
    for value in values[:20]:  # asked again after the memo started again
        assert check(value) == v.general(check)(value)


def test_a_str_subclass_takes_the_check_itself() -> None:
    class Odd(str):
        pass

    value = Odd("app.kubernetes.io/name")
    assert v.is_qualified_name(value) == v.general(v.is_qualified_name)(value) == []


def test_a_string_longer_than_any_name_is_answered_but_not_kept() -> None:
    check = v.is_qualified_name
    cells = [cell.cell_contents for cell in check.__closure__ or ()]
    answers = next(cell for cell in cells if isinstance(cell, dict))
    long = "k/" + "x" * 300
    assert check(long) == v.general(check)(long) != []
    assert long not in answers
    check("app.kubernetes.io/name")
    assert "app.kubernetes.io/name" in answers
