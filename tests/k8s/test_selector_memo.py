"""Selector.from_label_selector and from_map keep the selector of each distinct tuple of string
pairs (kpolicy.k8s.selector._PAIRS_PARSED): held here to parsing every time (``_MEMOISE`` off),
on every selector and label map of our fixtures and examples, on generated ones, and past the
memo's limit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpolicy.k8s import selector as sel
from kpolicy.k8s.selector import Selector
from tests.helpers import examples, fixture_documents


@contextmanager
def _parsed_each_time() -> Iterator[None]:
    sel._MEMOISE = False
    try:
        yield
    finally:
        sel._MEMOISE = True


def _agree(value: object) -> None:
    for parse in (
        Selector.from_label_selector,
        Selector.from_map,
        lambda v: Selector.from_map(v, empty_matches_all=True),
    ):
        with _parsed_each_time():
            expected = parse(value)
        assert parse(value) == expected
        assert parse(value) == expected  # from the memo
        assert str(parse(value)) == str(expected)


def _maps(node: object) -> Iterator[object]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("selector", "matchLabels", "podSelector", "labels", "nodeSelector"):
                yield value
            yield from _maps(value)
    elif isinstance(node, list):
        for value in node:
            yield from _maps(value)


def _fixture_maps() -> list[object]:
    found: list[object] = []
    for document in fixture_documents("tests/rules", "examples"):
        found.extend(_maps(document))
    return found


def test_agrees_on_the_fixtures() -> None:
    maps = _fixture_maps()
    assert len(maps) > 100
    for value in maps:
        _agree(value)
    valid = [v for v in maps if Selector.from_label_selector(v) is not None]
    invalid = [v for v in maps if Selector.from_label_selector(v) is None]
    assert valid and invalid


_KEYS = st.sampled_from(["app", "tier", "app.kubernetes.io/name", "Bad Key", "-x", "", "a/b/c"])
_VALUES = (
    st.sampled_from(["web", "", "v1.2", "bad value", "-x", "x" * 64]) | st.none() | st.integers()
)


@settings(max_examples=examples(full=2000, quick=200), deadline=None)
@given(
    labels=st.dictionaries(_KEYS, _VALUES, max_size=4),
    expressions=st.none()
    | st.lists(
        st.fixed_dictionaries(
            {"key": _KEYS, "operator": st.sampled_from(["In", "Exists", "Bogus"])},
            optional={"values": st.lists(_VALUES, max_size=2)},
        ),
        max_size=2,
    ),
)
def test_agrees_on_generated_selectors(
    labels: dict[str, object], expressions: list[object] | None
) -> None:
    _agree(labels)
    selector: dict[str, object] = {"matchLabels": labels}
    if expressions is not None:
        selector["matchExpressions"] = expressions
    _agree(selector)


def test_memo_starts_again_past_its_limit() -> None:
    maps = [{"app": f"web-{index}"} for index in range(sel._MEMO_LIMIT + 10)]
    for value in maps:
        _agree(value)
    assert len(sel._PAIRS_PARSED) <= sel._MEMO_LIMIT
    for value in maps[:20]:
        _agree(value)


@pytest.mark.parametrize("value", [{"app": 1}, {"app": True}, {1: "web"}, {"app": ["web"]}])
def test_other_values_are_parsed_each_time(value: dict[object, object]) -> None:
    size = len(sel._PAIRS_PARSED)
    assert Selector.from_map(value) is None
    assert len(sel._PAIRS_PARSED) == size
