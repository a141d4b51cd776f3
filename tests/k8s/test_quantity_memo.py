"""quantity_string_nanos keeps its answer per string (kpolicy.k8s.quantity._ANSWERS): held here
to the parse itself (general_quantity_string_nanos), on first and repeated calls, on the
values of test_quantity, on generated text, and past the memo's limit."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpolicy.k8s import quantity as q
from tests.helpers import examples
from tests.k8s.test_quantity import _QUANTITY_TEXT, _QUANTITY_VALUES, INVALID, VALID


def _agree(value: object) -> None:
    expected = q.general_quantity_string_nanos(value)  # type: ignore[arg-type]
    assert q.quantity_string_nanos(value) == expected  # type: ignore[arg-type]
    assert q.quantity_string_nanos(value) == expected  # type: ignore[arg-type]
    assert q.quantity_nanos(value) == q.quantity_nanos(value)


@pytest.mark.parametrize("value", [*(text for text, _ in VALID), *INVALID, None, 1, ["1"]])
def test_memoised_agrees_with_the_parse(value: object) -> None:
    _agree(value)


@settings(max_examples=examples(full=3000, quick=300), deadline=None)
@given(_QUANTITY_VALUES | _QUANTITY_TEXT | st.text(max_size=40))
def test_memoised_agrees_on_generated_values(value: object) -> None:
    _agree(value)
    if isinstance(value, str):
        assert q.quantity_string_nanos(value) == q.general_quantity_string_nanos(value)


def test_memo_starts_again_past_its_limit() -> None:
    texts = [f"{index}Mi" for index in range(q._MEMO_LIMIT + 10)] + ["1x", "1.5.5"]
    for text in texts:
        assert q.quantity_string_nanos(text) == q.general_quantity_string_nanos(text)
    assert len(q._ANSWERS) <= q._MEMO_LIMIT
    for text in texts[:20]:
        assert q.quantity_string_nanos(text) == q.general_quantity_string_nanos(text)
