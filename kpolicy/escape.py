"""Escaping of everything that comes from the input (names, labels, values, file names, config
paths) before it reaches a terminal, a log or a document. Every writer uses this module.

:func:`text` is the base of every format: control characters (C0, DEL, C1, so ESC, CR and LF),
bidirectional overrides and isolates, line and paragraph separators, and lone surrogates (a
file name that is not UTF-8, decoded with ``surrogateescape``) become visible escapes
(``\\x1b``, ``\\u202e``; a surrogate-escaped byte becomes ``\\xNN``, the byte itself). A string
without them (nearly every one) is returned as it is, after one regular-expression search.

On top of it each format escapes its own metacharacters: :func:`markdown` (table pipes, HTML,
emphasis), :func:`xml` (entities; characters XML 1.0 forbids), :func:`github_data` and
:func:`github_property` (the workflow-command escapes). :func:`line` keeps a line that starts
with text from the input from reading as a GitHub Actions workflow command (``::add-mask::``,
``::stop-commands::``), which the runner executes when it is the start of a line in its log.
"""

from __future__ import annotations

import re

from kpolicy.lazyre import lazy_compile

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final

__all__ = [
    "github_data",
    "github_property",
    "line",
    "markdown",
    "markdown_code",
    "path",
    "text",
    "uri_path",
    "utf8",
    "xml",
]

# C0 and DEL and C1; ALM, LRM, RLM; line and paragraph separators; LRE..RLO; LRI..PDI; BOM;
# and every surrogate (only a lone one can be in a str)
_UNSAFE: Final = lazy_compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff"
    "\ud800-\udfff]"
)
# what a GitHub Actions runner reads as a workflow command at the start of a line (v2 "::name",
# v1 "##[name"), after leading whitespace
_COMMAND: Final = lazy_compile(r"\s*(::|##\[|##vso\[)")


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, kept by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def text(value: object) -> str:
    """``value`` as one line of plain text with no character that a terminal, a log viewer or
    an editor would act on or reorder."""
    string = value if isinstance(value, str) else str(value)
    if string.isascii() and string.isprintable():
        return string  # (nearly every one) no C0 control character, no DEL: nothing to escape
    if _UNSAFE.search(string) is None:
        return string
    return _UNSAFE.sub(_visible, string)


def line(value: str) -> str:
    """A whole output line (already escaped with :func:`text`) that cannot start a workflow
    command: a leading ``:`` or ``#`` of such a line is written as ``\\x3a`` or ``\\x23``."""
    match = _COMMAND.match(value)
    if match is None:
        return value
    start = match.start(1)
    return f"{value[:start]}\\x{ord(value[start]):02x}{value[start + 1 :]}"


def path(value: object) -> str:
    """A file name for a text line: :func:`text`, and ``./`` before a relative name that would
    otherwise start a workflow command."""
    string = text(value)
    if _COMMAND.match(string) is not None:
        return "./" + string
    return string


def markdown(value: object) -> str:
    """Text safe inline and inside a table cell: no pipes, no line breaks, no raw HTML, no
    emphasis, links or code spans from the input."""
    string = text(value)
    for raw, escaped in (
        ("\\", "\\\\"),
        ("|", "\\|"),
        ("&", "&amp;"),
        ("<", "&lt;"),
        (">", "&gt;"),
        ("`", "'"),
        ("*", "\\*"),
        ("_", "\\_"),
        ("[", "\\["),
        ("]", "\\]"),
    ):
        if raw in string:
            string = string.replace(raw, escaped)
    return " ".join(string.split())


def markdown_code(value: object) -> str:
    """Inline code: a backtick inside would end it, so it becomes a quote."""
    string = " ".join(text(value).replace("`", "'").replace("|", "\\|").split())
    return f"`{string}`" if string else ""


def xml(value: object, quote_marks: bool = False) -> str:
    """Character data (or, with ``quote_marks``, an attribute value without its quotes); the
    two noncharacters XML 1.0 forbids become U+FFFD (the rest :func:`text` escaped)."""
    # what xml.sax.saxutils.escape does (& first), without importing it: it imports
    # urllib.request, and with it http, ssl and email, a fifth of kpolicy's start-up
    string = text(value).replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
    if "\ufffe" in string or "\uffff" in string:
        string = string.replace("\ufffe", "\ufffd").replace("\uffff", "\ufffd")
    if quote_marks:
        string = string.replace('"', "&quot;").replace("'", "&apos;")
    return string


def github_data(value: object) -> str:
    """The message of a workflow command (``::error ...::<data>``)."""
    return text(value).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(value: object) -> str:
    """A property value of a workflow command (``file=<value>,line=...``)."""
    return github_data(value).replace(":", "%3A").replace(",", "%2C")


def uri_path(value: str) -> str:
    """A relative file name as a URI reference: the bytes of the name (a name that is not UTF-8
    keeps its own bytes) percent-encoded."""
    # SARIF's only: urllib.parse imports ipaddress (2 ms of every start)
    from urllib.parse import quote

    # ":" is encoded too: a relative reference whose first segment has one reads as a scheme
    return quote(utf8(value), safe="/@-._~!$&'()*+,;=")


def utf8(value: str) -> bytes:
    """The bytes of a string that may hold surrogate-escaped bytes (a non-UTF-8 file name), or
    other lone surrogates (kept as their UTF-8-like encoding rather than failing)."""
    try:
        return value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass")
