"""The shapes of kpolicy.k8s.validation's and kpolicy.k8s.intstr's checks are told with str
methods (their ``TEXT_SHAPES``), held here to the patterns they stand for, on the values of
test_validation and on generated text of the characters the patterns tell apart."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpolicy.k8s import intstr
from kpolicy.k8s import validation as v
from tests.helpers import examples
from tests.k8s.test_validation import INVALID, VALID

Shape = tuple[Callable[[str], bool], str, bool]
SHAPES: list[Shape] = [*v.TEXT_SHAPES, *intstr.TEXT_SHAPES]
IDS = [function.__name__ for function, _, _ in SHAPES]

# every character class the patterns name, their edges, and what lies outside them: upper
# case, digits, '-', '_', '.', '%', '=', space, controls, DEL, non-ASCII digits and letters
_TEXT = st.text(alphabet="aAzZ09-+_.%=/ \t\n\x1f\x7f~!²٣éK\u212a", max_size=12) | st.text(
    max_size=20
)
_STRINGS = sorted({value for _, value in [*VALID, *INVALID] if isinstance(value, str)})


def _reference(pattern: str, searched: bool, value: str) -> bool:
    compiled = re.compile(pattern)
    found = compiled.search(value) if searched else compiled.fullmatch(value)
    return found is not None


def test_every_shape_is_listed() -> None:
    assert len(SHAPES) == 12  # validation's eleven and strconv.Atoi's (intstr)
    for module in (v, intstr):  # no pattern left to compile
        assert not [name for name in vars(module) if name.endswith("_RE")]


@pytest.mark.parametrize(("function", "pattern", "searched"), SHAPES, ids=IDS)
def test_agrees_with_the_pattern_on_known_values(
    function: Callable[[str], bool], pattern: str, searched: bool
) -> None:
    outcomes = set()
    for value in [
        *_STRINGS,
        "",
        "-",
        ".",
        "a",
        "A",
        "0",
        "a-",
        "-a",
        "a.b",
        "a..b",
        "%",
        "5%",
        "+",
        "-5",
        "+5",
        "05",
    ]:
        expected = _reference(pattern, searched, value)
        assert function(value) is expected, (pattern, value)
        outcomes.add(expected)
    assert outcomes == {True, False}


@pytest.mark.parametrize(("function", "pattern", "searched"), SHAPES, ids=IDS)
@settings(max_examples=examples(full=5000, quick=400), deadline=None)
@given(value=_TEXT)
def test_agrees_with_the_pattern_on_generated_text(
    function: Callable[[str], bool], pattern: str, searched: bool, value: str
) -> None:
    assert function(value) is _reference(pattern, searched, value)
