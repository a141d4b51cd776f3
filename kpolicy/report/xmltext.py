"""Text and attribute values for the XML reports (JUnit, checkstyle), on top of
:func:`kpolicy.escape.xml`.

Everything in a report can come from a manifest (names, values, file names), so every value
goes through :func:`text` or :func:`attribute`: control characters (tab and line breaks
included), bidirectional controls, lone surrogates and the rest of what :func:`kpolicy.escape.text`
shows as visible escapes; the two noncharacters XML 1.0 forbids become U+FFFD; ``&``, ``<``,
``>`` (and in attributes the quotes) become entities. Then everything outside ASCII becomes a
character reference, so the document is ASCII whatever the encoding of the stream it is
written to (``LC_ALL=C`` in a CI image).
"""

from __future__ import annotations

from kpolicy import escape

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _ascii(value: str) -> str:
    return value if value.isascii() else value.encode("ascii", "xmlcharrefreplace").decode()


def text(value: str) -> str:
    """``value`` as (part of) the content of an element, on one line."""
    return _ascii(escape.xml(value))


def attribute(value: str) -> str:
    """``value`` as the content of a double-quoted attribute."""
    return _ascii(escape.xml(value, quote_marks=True))
