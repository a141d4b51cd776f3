"""The text edits behind code actions: they keep comments and layout, and never change a value
they do not mean to."""

from __future__ import annotations

from kpolicy.load import load_text
from kpolicy.lsp.actions import ignore_edit
from kpolicy.lsp.positions import apply_edits
from kpolicy.model import KObject, SourceFile


def _apply_ignore(text: str, line: int, rule: str = "some-rule") -> str | None:
    edit = ignore_edit(text, line, rule)
    return None if edit is None else apply_edits(text, [edit])


def _object(text: str, kind: str) -> KObject:
    return next(o for o in load_text(SourceFile("x.yaml", text)).objects if o.kind == kind)


class TestIgnore:
    def test_appends_a_trailing_directive(self) -> None:
        assert _apply_ignore("a: 1\nb: 2   \n", 2) == "a: 1\nb: 2  # kpolicy: ignore[some-rule]\n"

    def test_keeps_an_existing_comment(self) -> None:
        assert _apply_ignore("b: 2  # why\n", 1) == "b: 2  # why  # kpolicy: ignore[some-rule]\n"

    def test_merges_into_a_directive_on_the_line(self) -> None:
        text = "b: 2  # kpolicy: ignore[other]\n"
        assert _apply_ignore(text, 1) == "b: 2  # kpolicy: ignore[other,some-rule]\n"

    def test_merges_into_a_directive_on_the_line_above(self) -> None:
        text = "a:\n  # kpolicy: ignore[other]\n  b: 2\n"
        assert _apply_ignore(text, 3) == "a:\n  # kpolicy: ignore[other,some-rule]\n  b: 2\n"

    def test_keeps_the_style_of_the_list(self) -> None:
        text = "b: 2  # kpolicy: ignore[one, two]\n"
        assert _apply_ignore(text, 1) == "b: 2  # kpolicy: ignore[one, two, some-rule]\n"

    def test_nothing_when_already_ignored(self) -> None:
        assert ignore_edit("b: 2  # kpolicy: ignore\n", 1, "some-rule") is None
        assert ignore_edit("b: 2  # kpolicy: ignore[some-rule]\n", 1, "some-rule") is None
        assert ignore_edit("b: 2  # kpolicy: ignore[]\n", 1, "some-rule") is None

    def test_a_line_inside_a_quoted_string_gets_a_comment_line_above(self) -> None:
        # a trailing "#" inside the multi-line string would become part of its value
        text = 'a:\n  b: "one\n    two"\n'
        assert _apply_ignore(text, 2) == 'a:\n  # kpolicy: ignore[some-rule]\n  b: "one\n    two"\n'

    def test_nothing_where_every_edit_would_change_a_value(self) -> None:
        text = 'a: "one\n  two\n  three"\n'
        assert ignore_edit(text, 2, "some-rule") is None

    def test_keeps_crlf_line_breaks(self) -> None:
        text = 'a:\r\n  b: "one\r\n    two"\r\n'
        assert (
            _apply_ignore(text, 2)
            == 'a:\r\n  # kpolicy: ignore[some-rule]\r\n  b: "one\r\n    two"\r\n'
        )
