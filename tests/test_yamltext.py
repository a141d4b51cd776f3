"""The documents of a YAML stream as text: split where a ``---`` line starts, and nowhere else."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from kpolicy.yamltext import document_chunks

# the definition: "---" at the start of a line (only "\n" ends one), then a blank or the end
_LINE_START = re.compile(r"^---(?=[ \t\r\n]|$)", re.MULTILINE)

_PIECES = st.sampled_from(
    ["-", "---", "\n", "\n---", " ", "\t", "\r", "a", "\x0b", "\x85", "\u2028"]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_PIECES, max_size=16).map("".join))
def test_chunks_start_at_every_document_start_line(text: str) -> None:
    chunks = list(document_chunks(text))
    starts = [m.start() for m in _LINE_START.finditer(text) if m.start() != 0]
    assert "".join(chunk for _, chunk in chunks) == text
    begins, at = [], 0
    for line, chunk in chunks:
        assert line == text.count("\n", 0, at)
        begins.append(at)
        at += len(chunk)
    assert begins == [0, *starts]


def test_a_stream_of_three_documents() -> None:
    text = "a: 1\n---\nb: 2\n--- # c\nc: 3\n----\n"
    assert list(document_chunks(text)) == [
        (0, "a: 1\n"),
        (1, "---\nb: 2\n"),
        (3, "--- # c\nc: 3\n----\n"),
    ]
    assert list(document_chunks("---\na: 1\n")) == [(0, "---\na: 1\n")]
    assert list(document_chunks("")) == [(0, "")]
