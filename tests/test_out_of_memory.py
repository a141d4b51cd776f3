"""A MemoryError ends as every internal error does: one line on stderr and exit code 3, never
a traceback and exit code 1 (the code of findings), even though the memory is gone when it is
reported (SECURITY.md, "Bounded work, bounded output")."""

from __future__ import annotations

import sys
import weakref
from pathlib import Path

import pytest

from kpolicy.entry import INTERNAL_ERROR_EXIT, internal_error
from tests.test_robustness import run_cli

LINE = "kpolicy: internal error: out of memory (raise the memory limit, or lint fewer files at a time)\n"


class _Held:
    """Stands for what filled the memory."""


class _Full:
    """A stderr whose every call runs out of memory, as the real one did."""

    def write(self, text: str) -> int:
        raise MemoryError

    def flush(self) -> None:
        raise MemoryError


def test_the_line_is_written_when_making_it_would_run_out_of_memory(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stderr", _Full())
    assert internal_error(MemoryError(), debug=False) == INTERNAL_ERROR_EXIT
    monkeypatch.undo()
    assert capfd.readouterr().err == LINE


def test_the_frames_that_filled_the_memory_are_let_go_first(
    capfd: pytest.CaptureFixture[str],
) -> None:
    refs: list[weakref.ref[_Held]] = []

    def fill() -> None:
        held = _Held()
        refs.append(weakref.ref(held))
        raise MemoryError

    try:
        fill()
    except MemoryError as exc:
        assert refs[0]() is not None  # the traceback's frame holds it
        assert internal_error(exc, debug=False) == INTERNAL_ERROR_EXIT
        assert refs[0]() is None
    assert capfd.readouterr().err == LINE


def test_with_debug_the_traceback_comes_first(capfd: pytest.CaptureFixture[str]) -> None:
    try:
        raise MemoryError
    except MemoryError as exc:
        assert internal_error(exc, debug=True) == INTERNAL_ERROR_EXIT
    err = capfd.readouterr().err
    assert err.startswith("Traceback") and err.endswith(LINE)


@pytest.mark.slow  # 2.8 million documents read till the memory runs out (~30 s)
@pytest.mark.parametrize("pure", [True, False], ids=["pure-python-loader", "c-loader"])
def test_millions_of_documents_under_a_memory_cap_end_with_one_line_and_exit_3(
    pure: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # every document a scalar, each its own finding: more than 2 GB of them
    (tmp_path / "docs.yaml").write_text("---\nx\n" * (16 * 1024 * 1024 // 6 - 10))
    if pure:
        monkeypatch.setenv("KPOLICY_PURE_PYTHON", "1")
    else:
        monkeypatch.delenv("KPOLICY_PURE_PYTHON", raising=False)
    result = run_cli(
        "lint",
        "--no-cache",
        "-j",
        "1",
        "docs.yaml",
        cwd=tmp_path,
        memory_bytes=2 * 1024**3,
        timeout=300,
    )
    assert result.returncode == INTERNAL_ERROR_EXIT, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("kpolicy: internal error: "), lines


def test_the_line_is_not_written_to_a_descriptor_2_the_process_started_without(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    # stderr closed at the start (2>&-): descriptor 2 then belongs to whatever file was opened
    # first since (a report being written, say), not to a stderr
    from kpolicy import entry

    monkeypatch.setattr(sys, "stderr", entry._NoStderr())
    assert internal_error(MemoryError(), debug=False) == INTERNAL_ERROR_EXIT
    monkeypatch.undo()
    assert capfd.readouterr().err == ""
