"""Attacks on the language server (issue 13): its input stream and oversized documents.

The hostile byte streams are in ``tests/hostile/security/`` (see its README).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kpolicy.lsp.project import Buffer, Project
from kpolicy.lsp.stream import MAX_HEADER_LINE, GuardedInput
from kpolicy.model import Limits
from tests.conftest import ROOT
from tests.test_cli import BAD

HOSTILE = ROOT / "tests" / "hostile" / "security"


def frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def messages(stream: GuardedInput) -> list[Any]:
    """What pygls reads from ``stream``, the way its loop reads it."""
    found: list[Any] = []
    while True:
        length = 0
        while True:
            line = stream.readline()
            if not line:
                return found
            if line.startswith(b"Content-Length: "):
                length = int(line.split(b":")[1])
            elif not line.strip() and length:
                break
        found.append(json.loads(stream.read(length)))


REQUEST = {"jsonrpc": "2.0", "id": 7, "method": "shutdown"}


@pytest.mark.parametrize("name", ["lsp-content-length-huge.bin", "lsp-no-content-length.bin"])
def test_a_hostile_message_is_dropped_and_the_next_one_served(name: str) -> None:
    raw = (HOSTILE / name).read_bytes() + frame(REQUEST)
    assert messages(GuardedInput(io.BytesIO(raw))) == [REQUEST]


def test_an_unbounded_header_line_is_read_through() -> None:
    raw = b"X-Padding: " + b"A" * (4 << 20) + b"\r\n\r\n{}" + frame(REQUEST)
    stream = GuardedInput(io.BytesIO(raw))
    assert messages(stream) == [REQUEST]
    assert len(stream._pending) <= MAX_HEADER_LINE  # never held the whole line


def test_well_formed_messages_pass_unchanged() -> None:
    sent = [{"jsonrpc": "2.0", "id": n, "method": "x", "params": {"t": "é" * n}} for n in range(5)]
    raw = b"".join(frame(m) for m in sent)
    raw = raw.replace(b"Content-Length", b"content-length", 1)  # header names are case-blind
    assert messages(GuardedInput(io.BytesIO(raw))) == sent


def test_a_message_over_the_limit_is_dropped() -> None:
    big = {"jsonrpc": "2.0", "method": "x", "params": {"t": "a" * 5000}}
    raw = frame(big) + frame(REQUEST)
    assert messages(GuardedInput(io.BytesIO(raw), max_message=1000)) == [REQUEST]


# -- the server itself, over a pipe, as an editor runs it ---------------------------------------


def serve(raw: bytes, tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    """``kpolicy lsp`` fed ``raw`` and then end of input, under a 1 GiB address-space cap: a
    server that tried to allocate a body of the length it was told would die."""

    def cap() -> None:  # pragma: no cover - runs in the child
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    return subprocess.run(
        [sys.executable, "-m", "kpolicy", "lsp"],
        input=raw,
        capture_output=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        preexec_fn=cap if sys.platform == "linux" else None,
    )


def replies(out: bytes) -> dict[int, Any]:
    found = {}
    stream = GuardedInput(io.BytesIO(out))
    for message in messages(stream):
        if "id" in message and ("result" in message or "error" in message):
            found[message["id"]] = message
    return found


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"processId": None, "rootUri": None, "capabilities": {}},
}
SHUTDOWN = {"jsonrpc": "2.0", "id": 2, "method": "shutdown"}
EXIT = {"jsonrpc": "2.0", "method": "exit"}


@pytest.mark.parametrize("name", ["lsp-content-length-huge.bin", "lsp-no-content-length.bin"])
def test_the_server_survives_a_hostile_message(name: str, tmp_path: Path) -> None:
    """A Content-Length of 10^12, or none at all: the server neither dies, nor allocates,
    nor stalls; it answers the requests after it."""
    raw = frame(INITIALIZE) + (HOSTILE / name).read_bytes() + frame(SHUTDOWN) + frame(EXIT)
    done = serve(raw, tmp_path)
    answered = replies(done.stdout)
    assert set(answered) == {1, 2}, done.stderr.decode(errors="replace")[-2000:]
    assert "result" in answered[2]
    assert b"a message was dropped" in done.stderr
    assert b"MemoryError" not in done.stderr and b"Traceback" not in done.stderr


# -- documents past the file-size limit ------------------------------------------------------


def test_an_open_document_past_the_size_limit_is_not_linted(tmp_path: Path) -> None:
    (tmp_path / ".kpolicy.yaml").write_text("limits:\n  maxFileBytes: 2000\n")
    project = Project(tmp_path)
    project.load()
    uri = (tmp_path / "web.yaml").as_uri()
    small = Buffer(uri, 1, BAD)
    assert [d.code for d in project.lint(small, {uri: small}).published] == ["selector-mismatch"]
    big = Buffer(uri, 2, BAD + "#" * 3000 + "\n")
    outcome = project.lint(big, {uri: big})
    assert [d.code for d in outcome.published] == ["yaml-syntax"]
    assert outcome.published[0].message.startswith(
        f"file refused: {len(big.text)} bytes is more than the limit of 2000 bytes"
    )
    # multi-byte text: the limit counts UTF-8 bytes, as on disk
    wide = Buffer(uri, 3, BAD + "#" + "é" * 1000 + "\n")
    assert [d.code for d in project.lint(wide, {uri: wide}).published] == ["yaml-syntax"]
    assert Limits().max_file_bytes > 2000
