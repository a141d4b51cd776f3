"""kpolicy spans ↔ LSP positions, in every position encoding."""

from __future__ import annotations

import pytest
from lsprotocol import types

from kpolicy.lsp.positions import UTF8, UTF16, UTF32, Lines, apply_edits
from kpolicy.model import Span, TextEdit

TEXT = "a: 1\nb: '🚀é x'\r\nc: ü\rlast"


def test_lines_split_like_lsp() -> None:
    lines = Lines.of(TEXT)
    assert lines.lines == ("a: 1", "b: '🚀é x'", "c: ü", "last")
    assert lines.line(2) == "b: '🚀é x'"
    assert lines.line(9) == ""
    assert lines.line_break() == "\n"
    assert Lines.of("x\r\ny").line_break() == "\r\n"


@pytest.mark.parametrize(
    ("encoding", "character"),
    [(UTF16, 8), (UTF8, 11), (UTF32, 7)],  # after "b: '🚀é " : 🚀 is 2/4/1 units, é 1/2/1
)
def test_columns_count_code_units_of_the_encoding(encoding: str, character: int) -> None:
    lines = Lines.of(TEXT)
    assert lines.position(2, 8, encoding) == types.Position(line=1, character=character)
    assert lines.point(types.Position(line=1, character=character), encoding) == (2, 8)


def test_span_to_range_is_zero_based_and_end_exclusive() -> None:
    lines = Lines.of(TEXT)
    # the quoted scalar '🚀é x' is columns 4..10 (end exclusive) in code points
    assert lines.range(Span(2, 4, 2, 10)) == types.Range(
        start=types.Position(line=1, character=3), end=types.Position(line=1, character=10)
    )


def test_end_of_line_and_past_the_end_are_clamped() -> None:
    lines = Lines.of(TEXT)
    # the loader's "to the end of the line" column
    assert lines.range(Span(1, 1, 3, 10_000)).end == types.Position(line=2, character=4)
    assert lines.position(99, 5) == types.Position(line=3, character=4)
    assert lines.position(0, 0) == types.Position(line=0, character=0)
    # a position inside a surrogate pair counts as the character's start
    assert lines.point(types.Position(line=1, character=5)) == (2, 5)
    assert lines.point(types.Position(line=1, character=500)) == (2, 10)
    assert lines.point(types.Position(line=40, character=0)) == (4, 5)


def test_an_end_before_the_start_collapses() -> None:
    lines = Lines.of("abc\n")
    assert lines.range(Span(1, 3, 1, 2)) == types.Range(
        start=types.Position(line=0, character=2), end=types.Position(line=0, character=2)
    )


def test_apply_edits_uses_original_positions() -> None:
    text = "one: 1\ntwo: 2  # 🚀\n"
    edits = [
        TextEdit(Span(2, 6, 2, 7), "20"),
        TextEdit(Span(1, 1, 1, 1), "zero: 0\n"),
        TextEdit(Span(2, 16, 2, 16), " x"),
    ]
    assert apply_edits(text, edits) == "zero: 0\none: 1\ntwo: 20  # 🚀 x\n"
    with pytest.raises(ValueError):
        apply_edits(text, [TextEdit(Span(1, 1, 1, 4), ""), TextEdit(Span(1, 2, 1, 3), "")])
