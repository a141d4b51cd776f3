"""kpolicy.suggest.close_matches is difflib.get_close_matches (without importing difflib in
each worker process that suggests a field name): held to difflib itself."""

from __future__ import annotations

import difflib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpolicy.k8s.apis import SERVED
from kpolicy.suggest import close_matches
from tests.helpers import examples

# a small alphabet makes repeated characters, ties between runs and equal scores common
_WORD = st.text(alphabet="abcAB-_.", max_size=12)
_KINDS = sorted(SERVED)
_FIELDS = [
    "replicas",
    "selector",
    "template",
    "strategy",
    "minReadySeconds",
    "revisionHistoryLimit",
    "paused",
    "progressDeadlineSeconds",
    "runAsUser",
    "runAsGroup",
    "runAsNonRoot",
    "requests",
    "limits",
    "claims",
    "image",
    "imagePullPolicy",
]


@settings(max_examples=examples(full=3000, quick=600), deadline=None)
@given(
    word=_WORD,
    possibilities=st.lists(_WORD, max_size=8),
    n=st.integers(min_value=1, max_value=4),
    cutoff=st.sampled_from([0.0, 0.3, 0.5, 0.6, 0.75, 0.85, 1.0]),
)
def test_random_words_matched_as_difflib_does(
    word: str, possibilities: list[str], n: int, cutoff: float
) -> None:
    assert close_matches(word, possibilities, n, cutoff) == difflib.get_close_matches(
        word, possibilities, n, cutoff
    )


@settings(max_examples=examples(full=1000, quick=200), deadline=None)
@given(
    word=st.one_of(
        st.sampled_from(_FIELDS + _KINDS), st.text(alphabet="aeinrstAEIRS", max_size=25)
    ),
    change=st.integers(min_value=0, max_value=30),
    letter=st.sampled_from("aeiuxRS-"),
    n=st.sampled_from([1, 2, 3]),
    cutoff=st.sampled_from([0.6, 0.75, 0.85]),
)
def test_typos_of_field_names_matched_as_difflib_does(
    word: str, change: int, letter: str, n: int, cutoff: float
) -> None:
    """What kpolicy asks: a field name or kind with a typo among the names a schema has."""
    at = change % (len(word) + 1)
    for typo in (word[:at] + letter + word[at:], word[:at] + word[at + 1 :], word.lower()):
        for among in (_FIELDS, _KINDS, [name.lower() for name in _FIELDS]):
            assert close_matches(typo, among, n, cutoff) == difflib.get_close_matches(
                typo, among, n, cutoff
            )


# any character (surrogates, controls, wide ones) among a few frequent ones, for ties
_ANY = st.text(
    alphabet=st.one_of(st.sampled_from("ab\u00e9\U0001f600"), st.characters()), max_size=14
)


@settings(max_examples=examples(full=2000, quick=300), deadline=None)
@given(
    word=_ANY,
    possibilities=st.lists(_ANY, max_size=8),
    n=st.one_of(st.integers(min_value=1, max_value=9), st.just(10**9)),
    cutoff=st.one_of(st.floats(min_value=0.0, max_value=1.0), st.sampled_from([0, 1])),
)
def test_any_characters_and_edge_arguments_matched_as_difflib_does(
    word: str, possibilities: list[str], n: int, cutoff: float
) -> None:
    assert close_matches(word, possibilities, n, cutoff) == difflib.get_close_matches(
        word, possibilities, n, cutoff
    )


@settings(max_examples=examples(full=300, quick=40), deadline=None)
@given(
    size=st.integers(min_value=190, max_value=210),
    seed=st.text(alphabet="ab", min_size=1, max_size=6),
    among=st.lists(st.text(alphabet="abc", max_size=230), max_size=3),
)
def test_words_about_difflibs_junk_length_matched_as_difflib_does(
    size: int, seed: str, among: list[str]
) -> None:
    """Below 200 characters the word's frequent characters count (close_matches' own loop),
    from 200 difflib treats them as junk (difflib answers)."""
    word = (seed * size)[:size]
    for possibilities in (among, [word[:-1], word[1:] + "c", *among]):
        for cutoff in (0.3, 0.6, 0.9):
            assert close_matches(word, possibilities, 3, cutoff) == difflib.get_close_matches(
                word, possibilities, 3, cutoff
            )


def test_what_difflib_alone_answers_is_passed_to_it() -> None:
    # a word of 200 characters or more: difflib's junk heuristic
    long = "ab" * 120
    among = [long[:-1], long + "c", "ab" * 60]
    assert close_matches(long, among, 3, 0.5) == difflib.get_close_matches(long, among, 3, 0.5)
    assert close_matches("", ["", "a"]) == difflib.get_close_matches("", ["", "a"]) == [""]
    for n, cutoff in ((0, 0.6), (1, 1.5), (1, -0.1)):
        with pytest.raises(ValueError):
            close_matches("a", ["a"], n, cutoff)
    assert close_matches("replcias", iter(_FIELDS), n=1) == ["replicas"]
