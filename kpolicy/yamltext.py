"""A YAML stream as text, before any parsing: its documents as the chunks between ``---``
lines (the loader parses each alone, so that one broken document does not hide the ones after
it; comment directives are scanned per chunk for the same reason)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

# a "---" line after the first: the line break before it, a literal that the regular expression
# engine searches for at once (``^---`` with re.M was tried at every character of the text)
_LATER_DOC_START = re.compile(r"\n---(?=[ \t\r\n]|$)", re.M)


def document_chunks(text: str) -> Iterator[tuple[int, str]]:
    """Split at ``---`` lines so that one broken document does not hide the ones after it."""
    starts = [m.start() + 1 for m in _LATER_DOC_START.finditer(text)]
    starts.insert(0, 0)  # the first chunk starts the text, with its "---" line or without one
    starts.append(len(text))
    line = 0
    for begin, end in itertools.pairwise(starts):
        chunk = text[begin:end]
        yield line, chunk
        line += chunk.count("\n")
