"""A YAML stream as text, before any parsing: its documents as the chunks between ``---``
lines (the loader parses each alone, so that one broken document does not hide the ones after
it; comment directives are scanned per chunk for the same reason)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

_DOC_START = re.compile(r"^---(?=[ \t\r\n]|$)", re.M)


def document_chunks(text: str) -> Iterator[tuple[int, str]]:
    """Split at ``---`` lines so that one broken document does not hide the ones after it."""
    starts = [m.start() for m in _DOC_START.finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    starts.append(len(text))
    line = 0
    for begin, end in itertools.pairwise(starts):
        chunk = text[begin:end]
        yield line, chunk
        line += chunk.count("\n")
