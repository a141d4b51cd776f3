"""The language server's input, framed defensively before pygls reads it.

pygls reads a header line with ``readline()`` (no length bound), takes ``Content-Length`` from
it, and then calls ``read(n)`` with that length: a ``Content-Length`` of 10^12 makes it
allocate (and die of a ``MemoryError``), and a message without one makes it take the body for
the next header, so that every later message is lost (the server stalls). :class:`GuardedInput`
stands between: it reads the client's bytes, and hands pygls only well-formed messages of at
most :data:`MAX_MESSAGE_BYTES`, re-framed with their true length.

A message without a valid ``Content-Length``, or with one past the limit, is dropped with a
warning on stderr (the client's log), and reading starts again at the next ``Content-Length:``
header: later messages are served. Header lines are bounded too.
"""

from __future__ import annotations

import logging
from typing import BinaryIO

MAX_MESSAGE_BYTES = 128 << 20  # a 16 MiB document (the file-size limit), escaped as JSON
MAX_HEADER_LINE = 8192
_CHUNK = 1 << 16
_MARKERS = (b"Content-Length:", b"content-length:")

logger = logging.getLogger("kpolicy.lsp")


class GuardedInput:
    """A binary stream with the ``readline()`` and ``read(n)`` that pygls uses, serving only
    well-formed messages read from ``raw``."""

    def __init__(self, raw: BinaryIO, max_message: int = MAX_MESSAGE_BYTES) -> None:
        self._raw = raw
        self._max = max_message
        self._pending = bytearray()  # read from the client, not parsed yet
        self._ready = bytearray()  # one re-framed message, being handed to pygls
        self._eof = False

    # -- what pygls calls ------------------------------------------------------------------

    def readline(self, size: int = -1) -> bytes:
        if not self._ready:
            self._next_message()
        end = self._ready.find(b"\n")
        cut = len(self._ready) if end < 0 else end + 1
        if size is not None and size >= 0:
            cut = min(cut, size)
        line = bytes(self._ready[:cut])
        del self._ready[:cut]
        return line

    def read(self, size: int = -1) -> bytes:
        if not self._ready:
            self._next_message()
        cut = len(self._ready) if size is None or size < 0 else min(size, len(self._ready))
        data = bytes(self._ready[:cut])
        del self._ready[:cut]
        return data

    def close(self) -> None:
        self._raw.close()

    # -- reading the client ----------------------------------------------------------------

    def _fill(self) -> bool:
        """More bytes from the client into ``_pending``; False at the end of the stream."""
        if self._eof:
            return False
        read1 = getattr(self._raw, "read1", None)
        chunk = read1(_CHUNK) if read1 is not None else self._raw.read(1)
        if not chunk:
            self._eof = True
            return False
        self._pending += chunk
        return True

    def _line(self) -> bytes | None:
        """One header line (with its newline), None at the end of the stream; a line longer
        than :data:`MAX_HEADER_LINE` is read through and returned as ``b"\\0"`` (invalid)."""
        too_long = False
        while True:
            end = self._pending.find(b"\n")
            if end >= 0:
                line = bytes(self._pending[: end + 1])
                del self._pending[: end + 1]
                return b"\0" if too_long or len(line) > MAX_HEADER_LINE else line
            if len(self._pending) > MAX_HEADER_LINE:
                too_long = True
                del self._pending[:]
            if not self._fill():
                return None

    def _body(self, length: int) -> bytes | None:
        while len(self._pending) < length:
            if not self._fill():
                return None
        body = bytes(self._pending[:length])
        del self._pending[:length]
        return body

    def _resync(self) -> None:
        """Drop bytes up to the next ``Content-Length:`` header (kept in ``_pending``)."""
        keep = max(len(marker) for marker in _MARKERS) - 1
        while True:
            found = [i for i in (self._pending.find(m) for m in _MARKERS) if i >= 0]
            if found:
                del self._pending[: min(found)]
                return
            if len(self._pending) > keep:
                del self._pending[: len(self._pending) - keep]
            if not self._fill():
                return

    def _next_message(self) -> None:
        """Put the next well-formed message, re-framed, in ``_ready`` (nothing at the end)."""
        while True:
            length: int | None = None
            problem: str | None = None
            lines = 0
            while True:
                line = self._line()
                if line is None:
                    return  # the end of the stream
                if not line.strip():
                    if lines:
                        break
                    continue  # blank lines between messages
                lines += 1
                name, sep, value = line.partition(b":")
                if line == b"\0" or not sep:
                    problem = problem or "a malformed header line"
                elif name.strip().lower() == b"content-length":
                    text = value.strip()
                    if not text.isdigit() or len(text) > 20:
                        problem = problem or f"Content-Length {text[:40]!r} is not a number"
                    else:
                        length = int(text)
            if problem is None and length is None:
                problem = "no Content-Length header"
            elif problem is None and length is not None and length > self._max:
                problem = f"Content-Length {length} is more than the limit of {self._max} bytes"
            if problem is not None:
                logger.warning(
                    "kpolicy lsp: a message was dropped: %s; reading on from the "
                    "next Content-Length header",
                    problem,
                )
                self._resync()
                continue
            assert length is not None  # set when problem is None (see above)
            body = self._body(length)
            if body is None:
                return  # the stream ended inside the body
            self._ready += b"Content-Length: %d\r\n\r\n" % len(body)
            self._ready += body
            return
