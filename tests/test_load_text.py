"""The text searches ``kpolicy.load`` makes before parsing, each cheaper than the one it
stands for, held to that one: the strategic-merge directive search, the node bound of a long
chunk, and the one search for the suppression markers."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kpolicy import load
from kpolicy.kustomize import DIRECTIVE_PREFIXES
from kpolicy.model import SourceFile
from kpolicy.suppress import ANNOTATION
from tests.helpers import examples

_PIECES = st.sampled_from(
    [
        *("$", "$patch", "$retainKeys", "$setElementOrder/", "$deleteFromPrimitiveList/", "$p"),
        *("a", "patch", "\n", ":", "-", "[", "&", "é", "\u2028", "\U0001f600", "$$", "${VAR}"),
    ]
)


def test_every_directive_starts_with_a_dollar() -> None:
    # _may_hold_directive looks for them only where a "$" is
    assert all(prefix.startswith("$") for prefix in DIRECTIVE_PREFIXES)


@settings(max_examples=examples(full=3000, quick=300), deadline=None)
@given(st.lists(_PIECES, max_size=40).map("".join))
def test_the_directive_search_finds_what_the_substring_searches_find(text: str) -> None:
    expected = any(prefix in text for prefix in DIRECTIVE_PREFIXES)
    assert load._may_hold_directive(text) is expected


def test_the_directive_search_past_many_dollars() -> None:
    scripts = "echo $HOME ${PATH}\n" * 200
    assert not load._may_hold_directive(scripts)
    for prefix in DIRECTIVE_PREFIXES:
        assert load._may_hold_directive(scripts + prefix)
        assert load._may_hold_directive(prefix + scripts)
        assert load._may_hold_directive(scripts[:1000] + prefix + scripts)


@settings(max_examples=examples(full=3000, quick=300), deadline=None)
@given(st.lists(_PIECES | st.sampled_from(list(":-?,[]{}!&*\n\ud800")), max_size=40).map("".join))
def test_the_node_bound_counts_the_characters_a_node_may_start_after(chunk: str) -> None:
    expected = 2 * (sum(chunk.count(c) for c in ":-?,[]{}!&*\n") + 2)
    assert load._node_bound(chunk) == expected


def test_one_search_stands_for_both_suppression_markers() -> None:
    assert "kpolicy" in ANNOTATION
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"
        "  annotations: {kpolicy.io/ignore: 'rule-a -- why'}\n"
        "data: {}  # kpolicy: ignore[rule-b]\n"
    )
    loaded = load.load_text(SourceFile("a.yaml", text))
    assert loaded.annotated
    assert [d.ids for ds in loaded.directives.values() for d in ds] == [("rule-b",)]
    plain = load.load_text(SourceFile("b.yaml", text.replace("kpolicy", "other")))
    assert not plain.annotated
    assert plain.directives == {}
