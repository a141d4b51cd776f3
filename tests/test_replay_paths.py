"""The replay's shortcuts give the general answer (kpolicy.cache._absolute_paths)."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest

import kpolicy.cache as cache_module

# normal relative paths (as a folder walk makes them): joined, not normalised
PLAIN = ["a", "a/b.yaml", "a.b/c..d/e.yml", "x-1/_y/z.json", "a../b"]
# anything else: normalised as abspath does
OTHER = [
    "./a",
    "a/./b",
    "a/../b",
    "a/.hidden/c",
    "a//b",
    "a/",
    ".x",
    "..",
    "/a/b",
    "/a/../b",
    "...a",
]


@pytest.mark.skipif(os.name == "nt", reason="abspath there is the system's")
@pytest.mark.parametrize("path", PLAIN + OTHER)
def test_absolute_paths_equal_abspath_and_skip_normpath_only_for_plain_ones(
    path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    normalised: list[str] = []
    real = os.path.normpath

    def counted(value: str) -> str:
        normalised.append(value)
        return real(value)

    for folder in (tmp_path, Path("/")):
        monkeypatch.chdir(folder)
        expected = os.path.abspath(path)
        monkeypatch.setattr(os.path, "normpath", counted)
        normalised.clear()
        assert cache_module._absolute_paths()(path) == expected
        assert bool(normalised) == (path in OTHER), (path, folder)
        monkeypatch.undo()


class _Text(io.TextIOWrapper):
    """A text stream that records the texts written to it."""

    texts: list[str]

    def write(self, text: str) -> int:
        self.texts.append(text)
        return super().write(text)


@pytest.mark.parametrize("encoding", ["utf-8", "ascii", "latin-1", "utf-16"])
@pytest.mark.parametrize("process_stdout", [True, False])
def test_an_ascii_report_is_written_as_bytes_with_the_texts_result(
    encoding: str, process_stdout: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ASCII report goes to the process's stdout buffer as it was read, in one write,
    when that writes what its text would; else (another stream, another encoding) as text.
    Either way the same bytes as the report's text written to that stream."""
    report = '{"findings": [\n  {"rule": "x", "message": "a \\"b\\""}\n]}\n' * 50
    outputs: dict[str, object] = {"stderr": "1 finding\n", "exit": 1, "to_file": False}
    written = {}
    for how in ("bytes", "text"):
        buffer = io.BytesIO()
        stream = _Text(buffer, encoding=encoding, newline="\n")
        stream.texts = []
        monkeypatch.setattr(sys, "stdout", stream)
        monkeypatch.setattr(sys, "__stdout__", stream if process_stdout else sys.__stdout__)
        messages = io.StringIO()
        monkeypatch.setattr(sys, "stderr", messages)
        given = (
            {**outputs, "report_bytes": report.encode("ascii")}
            if how == "bytes"
            else {**outputs, "report": report}
        )
        assert cache_module.emit(given, None) == 1
        stream.flush()
        assert messages.getvalue() == "1 finding\n"
        written[how] = buffer.getvalue()
        taken = report not in stream.texts  # not written as text: as bytes
        assert taken == (
            how == "bytes" and process_stdout and encoding != "utf-16" and os.name != "nt"
        ), (how, encoding, process_stdout)
        monkeypatch.undo()
    assert written["bytes"] == written["text"] == report.encode(encoding)


def test_a_replay_reads_an_ascii_report_as_bytes_and_another_as_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What replay gives emit: the report's bytes when ASCII, else its text."""
    monkeypatch.setenv(cache_module.CACHE_ENV, str(tmp_path / "cache"))
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    folder = cache_module.open_cache([], tmp_path / "work")
    assert folder is not None
    for report, key in (("plain\n", "report_bytes"), ("caf\u00e9\n", "report")):
        run = cache_module.RunCache("k" + key.replace("_", ""), folder, tmp_path / "work")
        run.begin({"paths": []})
        run.started_ns += 10**12  # nothing is too recent
        assert run.store({"report": report, "stderr": "", "exit": 0})
        replayed = run.replay()
        assert replayed is not None
        assert set(replayed) & {"report", "report_bytes"} == {key}
        value = replayed[key]
        assert (value.decode("ascii") if isinstance(value, bytes) else value) == report
    cache_module.reset()
