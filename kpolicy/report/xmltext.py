"""Text and attribute values for the XML reports (JUnit, checkstyle).

Everything in a report can come from a manifest (names, values, file names), so every value
goes through :func:`text` or :func:`attribute`:

- ``&``, ``<``, ``>`` and (in attributes) ``"`` become entities;
- control characters (C0, tab and line breaks included, DEL, C1), bidirectional marks,
  embeddings, overrides and isolates, the line and paragraph separators, the byte-order mark
  and lone surrogates are shown as visible escapes (``\\x1b``, ``\\u202e``; a byte of a file
  name that is not UTF-8, kept by ``surrogateescape``, as ``\\xNN``): XML 1.0 cannot hold most
  of them at all, not even as character references, and the others would hide or reorder text
  or start a line the report did not write. U+FFFE and U+FFFF, which XML forbids too, are shown
  the same way;
- everything outside ASCII becomes a character reference: the document is ASCII whatever the
  encoding of the stream it is written to (``LC_ALL=C`` in a CI image).
"""

from __future__ import annotations

import re

_SHOWN_ESCAPED = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ufeff\ufffe\uffff\ud800-\udfff]"
)
_ATTRIBUTE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})
_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def _show(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, kept by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(value: str) -> str:
    """``value`` with the characters XML cannot hold, or that hide text, shown as escapes."""
    return _SHOWN_ESCAPED.sub(_show, value)


def text(value: str) -> str:
    """``value`` as (part of) the content of an element, on one line."""
    escaped = visible(value).translate(_TEXT)
    return escaped if escaped.isascii() else escaped.encode("ascii", "xmlcharrefreplace").decode()


def attribute(value: str) -> str:
    """``value`` as the content of a double-quoted attribute."""
    escaped = visible(value).translate(_ATTRIBUTE)
    return escaped if escaped.isascii() else escaped.encode("ascii", "xmlcharrefreplace").decode()


DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
