"""kpolicy spans (1-based, columns in code points, end exclusive) ↔ LSP positions.

LSP positions are 0-based; a character offset counts code units of the negotiated position
encoding: UTF-16 unless the client offers another (``general.positionEncodings``). Lines end at
``\\n``, ``\\r\\n`` or ``\\r`` (LSP 3.17, "Text Documents").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from lsprotocol import types

from kpolicy.model import Span, TextEdit

_LINE_BREAK = re.compile(r"\r\n|\r|\n")

UTF8 = "utf-8"
UTF16 = "utf-16"
UTF32 = "utf-32"


def _units(text: str, encoding: str) -> int:
    """How many code units of ``encoding`` ``text`` takes."""
    if encoding == UTF32 or text.isascii():
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def _column_of_units(line: str, units: int, encoding: str) -> int:
    """The code point index in ``line`` at ``units`` code units (clamped to the line; a unit
    inside a character counts as that character's start)."""
    if units <= 0:
        return 0
    if encoding == UTF32 or line.isascii():
        return min(units, len(line))
    seen = 0
    for index, char in enumerate(line):
        if encoding == UTF8:
            seen += len(char.encode("utf-8", "surrogatepass"))
        else:
            seen += 2 if ord(char) > 0xFFFF else 1
        if seen > units:
            return index
        if seen == units:
            return index + 1
    return len(line)


@dataclass(frozen=True, slots=True)
class Lines:
    """A text split into lines the way LSP counts them, with the offset of each line."""

    text: str
    lines: tuple[str, ...]
    starts: tuple[int, ...]

    @classmethod
    def of(cls, text: str) -> Lines:
        lines: list[str] = []
        starts: list[int] = [0]
        position = 0
        for match in _LINE_BREAK.finditer(text):
            lines.append(text[position : match.start()])
            position = match.end()
            starts.append(position)
        lines.append(text[position:])
        return cls(text, tuple(lines), tuple(starts))

    def line(self, number: int) -> str:
        """The text of 1-based line ``number`` without its line break ('' past the end)."""
        if 1 <= number <= len(self.lines):
            return self.lines[number - 1]
        return ""

    def clamp(self, line: int, column: int) -> tuple[int, int]:
        """A 1-based (line, column) moved into the text: a column past the end of its line
        goes to the end of that line."""
        if line < 1:
            return 1, 1
        if line > len(self.lines):
            last = len(self.lines)
            return last, len(self.lines[last - 1]) + 1
        return line, max(1, min(column, len(self.lines[line - 1]) + 1))

    def offset(self, line: int, column: int) -> int:
        """The string index of a 1-based (line, column), clamped into the text."""
        line, column = self.clamp(line, column)
        return self.starts[line - 1] + column - 1

    def position(self, line: int, column: int, encoding: str = UTF16) -> types.Position:
        line, column = self.clamp(line, column)
        prefix = self.lines[line - 1][: column - 1]
        return types.Position(line=line - 1, character=_units(prefix, encoding))

    def range(self, span: Span, encoding: str = UTF16) -> types.Range:
        start = self.position(span.line, span.column, encoding)
        end = self.position(span.end_line, span.end_column, encoding)
        if (end.line, end.character) < (start.line, start.character):
            end = start
        return types.Range(start=start, end=end)

    def point(self, position: types.Position, encoding: str = UTF16) -> tuple[int, int]:
        """A 1-based (line, column in code points) for an LSP position, clamped into the text."""
        line = position.line + 1
        if line > len(self.lines):
            return self.clamp(line, 1)
        column = _column_of_units(self.lines[line - 1], position.character, encoding) + 1
        return line, column

    def line_break(self) -> str:
        """The line break the text uses (its first one), ``\\n`` when it has none."""
        match = _LINE_BREAK.search(self.text)
        return match.group(0) if match else "\n"


def apply_edits(text: str, edits: Sequence[TextEdit]) -> str:
    """``text`` with kpolicy edits applied (1-based spans of the original text, end exclusive).

    Overlapping edits are a bug in the caller and raise ``ValueError``.
    """
    lines = Lines.of(text)
    placed = sorted(
        (
            (
                lines.offset(e.span.line, e.span.column),
                lines.offset(e.span.end_line, e.span.end_column),
                e.new_text,
            )
            for e in edits
        ),
        key=lambda item: (item[0], item[1]),
    )
    out: list[str] = []
    position = 0
    for start, end, new_text in placed:
        if start < position:
            raise ValueError("overlapping edits")
        out.append(text[position:start])
        out.append(new_text)
        position = max(start, end)
    out.append(text[position:])
    return "".join(out)


def lsp_text_edits(text: str, edits: Sequence[TextEdit], encoding: str) -> list[types.TextEdit]:
    lines = Lines.of(text)
    return [types.TextEdit(range=lines.range(e.span, encoding), new_text=e.new_text) for e in edits]
