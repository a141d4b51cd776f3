"""A YAML stream as text, before any parsing: its documents as the chunks between ``---``
lines (the loader parses each alone, so that one broken document does not hide the ones after
it; comment directives are scanned per chunk for the same reason)."""

from __future__ import annotations

from collections.abc import Iterator

_DOC_START = "\n---"  # after the first line: a line break, then "---" and a blank or the end
_BLANKS = " \t\r\n"


def document_chunks(text: str) -> Iterator[tuple[int, str]]:
    """Split at ``---`` lines so that one broken document does not hide the ones after it.

    The first chunk starts the text, with its ``---`` line or without one; each is yielded with
    the number of lines before it. A substring search (memchr-fast) finds the candidates; the
    lines of the last chunk, most often the only one, are not counted."""
    find = text.find
    size = len(text)
    begin = line = 0
    at = find(_DOC_START)
    while at >= 0:
        after = at + 4
        if after == size or text[after] in _BLANKS:
            chunk = text[begin : at + 1]
            yield line, chunk
            line += chunk.count("\n")
            begin = at + 1
        at = find(_DOC_START, at + 1)
    yield line, text[begin:]
