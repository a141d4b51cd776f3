"""Text and attribute values for the XML reports (JUnit, checkstyle).

Everything in a report can come from a manifest (names, values, file names), so every value
goes through :func:`text` or :func:`attribute`:

- ``&``, ``<``, ``>`` and (in attributes) ``"`` become entities;
- characters XML 1.0 forbids (C0 controls other than tab, line feed and carriage return, lone
  surrogates from file names that are not UTF-8, U+FFFE and U+FFFF) cannot be written at all,
  not even as character references: they are shown as ``\\xHH`` or ``\\uHHHH``, so a reader
  sees that something was there;
- characters that are legal but invisible or that reorder the text around them (DEL and the C1
  controls, bidirectional overrides and isolates, zero-width marks) are shown the same way, so
  a report cannot display other text than it holds;
- in attributes, tab, line feed and carriage return become character references (a parser
  would otherwise turn them into spaces);
- everything outside ASCII becomes a character reference: the document is ASCII whatever the
  encoding of the stream it is written to (``LC_ALL=C`` in a CI image).
"""

from __future__ import annotations

import re

# what XML 1.0 forbids (https://www.w3.org/TR/xml/#charsets), and what is legal but hides or
# reorders text: DEL and C1 controls, bidi embeddings, overrides and isolates, the bidi and
# zero-width marks, the line and paragraph separators, the byte-order mark
_SHOWN_ESCAPED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069"
    "\ufeff\ufffe\uffff\ud800-\udfff]"
)
_ATTRIBUTE = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\t": "&#9;",
        "\n": "&#10;",
        "\r": "&#13;",
    }
)
_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


def _show(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(value: str) -> str:
    """``value`` with the characters XML cannot hold, or that hide text, shown as escapes."""
    return _SHOWN_ESCAPED.sub(_show, value)


def text(value: str) -> str:
    """``value`` as the content of an element."""
    escaped = visible(value).translate(_TEXT)
    return escaped if escaped.isascii() else escaped.encode("ascii", "xmlcharrefreplace").decode()


def attribute(value: str) -> str:
    """``value`` as the content of a double-quoted attribute."""
    escaped = visible(value).translate(_ATTRIBUTE)
    return escaped if escaped.isascii() else escaped.encode("ascii", "xmlcharrefreplace").decode()


DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
