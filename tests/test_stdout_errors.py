"""A report that cannot be written to standard output (a full disk, a closed descriptor) is an
I/O error: one line and exit 2, in a run and in a replay from the cache, never an internal
error; a run whose report goes to --output does not need standard output at all."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FULL = "/dev/full"

SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
"""

needs_full = pytest.mark.skipif(not os.path.exists(FULL), reason="no /dev/full on this system")


def _project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    manifest = folder / "web.yaml"
    manifest.write_text(SERVICE)
    past = time.time() - 3600  # not a file modified a moment ago: the cache records it
    os.utime(manifest, (past, past))
    return folder


def _lint(folder: Path, *args: str, stdout: str | None) -> subprocess.CompletedProcess[str]:
    """``kpolicy lint ARGS .`` with stdout redirected to ``stdout`` (None: closed)."""
    redirect = ">&-" if stdout is None else f"> {shlex.quote(stdout)}"
    command = shlex.join([sys.executable, "-m", "kpolicy", "lint", *args, "."])
    return subprocess.run(
        ["sh", "-c", f"exec {command} {redirect}"],
        cwd=folder,
        capture_output=False,
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@needs_full
@pytest.mark.parametrize("report", ["text", "json", "sarif", "github"])
def test_a_full_disk_is_an_io_error(tmp_path: Path, report: str) -> None:
    done = _lint(_project(tmp_path), "--no-cache", "--format", report, stdout=FULL)
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "kpolicy: error: cannot write the report to standard output: No space left on device\n"
    )


@pytest.mark.parametrize("report", ["text", "json"])
def test_a_closed_stdout_is_an_io_error(tmp_path: Path, report: str) -> None:
    done = _lint(_project(tmp_path), "--no-cache", "--format", report, stdout=None)
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "kpolicy: error: cannot write the report to standard output: standard output is closed\n"
    )


def test_a_closed_stdout_does_not_matter_to_a_report_written_to_a_file(tmp_path: Path) -> None:
    folder = _project(tmp_path)
    done = _lint(folder, "--no-cache", "--output", str(tmp_path / "out.txt"), stdout=None)
    assert done.returncode == 1, done.stderr  # the Service's finding
    assert done.stderr == ""
    assert "web.yaml" in (tmp_path / "out.txt").read_text()


@needs_full
def test_a_replay_to_a_full_disk_is_the_same_io_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KPOLICY_CACHE_DIR", str(tmp_path / "cache"))
    folder = _project(tmp_path)
    for report in ("text", "json"):  # json: the replay writes its ASCII bytes as they are
        first = _lint(folder, "--format", report, stdout="/dev/null")
        assert first.returncode == 1, first.stderr
        replayed = _lint(folder, "--format", report, stdout=FULL)
        assert replayed.returncode == 2, replayed.stderr
        assert replayed.stderr == (
            "kpolicy: error: cannot write the report to standard output: No space left on device\n"
        )
        again = _lint(folder, "--format", report, "--output", str(tmp_path / "o"), stdout=None)
        assert again.returncode == 1, again.stderr


def _lint_to_a_gone_reader(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``kpolicy lint ARGS .`` writing to a pipe whose reader has already gone (``| head``)."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        return subprocess.run(
            [sys.executable, "-m", "kpolicy", "lint", *args, "."],
            cwd=folder,
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    finally:
        os.close(writer)


@pytest.mark.parametrize("report", ["text", "json"])
def test_a_gone_reader_ends_a_run_and_a_replay_alike_quietly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, report: str
) -> None:
    # a replay from the cache is emitted before the run's own handling of a closed pipe: it
    # was an internal error there, 'a bug in kpolicy', exit 3
    monkeypatch.setenv("KPOLICY_CACHE_DIR", str(tmp_path / "cache"))
    folder = _project(tmp_path)
    first = _lint(folder, "--format", report, stdout="/dev/null")
    assert first.returncode == 1, first.stderr
    for args in (("--no-cache",), ()):
        done = _lint_to_a_gone_reader(folder, "--format", report, *args)
        assert (done.returncode, done.stderr) == (1, ""), args


def test_a_closed_stderr_still_tells_an_error_from_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # stderr closed (2>&-): the error's line cannot be written, and the AttributeError of
    # writing it to None exited 1, the code of findings
    monkeypatch.setenv("KPOLICY_CACHE_DIR", str(tmp_path / "cache"))
    folder = _project(tmp_path)

    def code(stdout: str, *args: str) -> int:
        command = shlex.join([sys.executable, "-m", "kpolicy", "lint", *args])
        return subprocess.run(
            ["sh", "-c", f"exec {command} {stdout} 2>&-"],
            cwd=folder,
            stdout=subprocess.DEVNULL,
            timeout=300,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        ).returncode

    assert code("", "--no-cache", "missing.yaml") == 2
    assert code(">&-", "--no-cache", ".") == 2
    assert code(">/dev/null", "--format", "json", ".") == 1  # findings; the cache recorded
    assert code(">&-", "--format", "json", ".") == 2
    if os.path.exists(FULL):
        assert code(f">{FULL}", "--no-cache", ".") == 2
        assert code(f">{FULL}", "--format", "json", ".") == 2  # the replay


@needs_full
@pytest.mark.parametrize("where", ["--output", "--report"])
@pytest.mark.parametrize("report", ["text", "sarif"])
def test_a_full_disk_at_an_output_file_is_an_io_error(
    tmp_path: Path, where: str, report: str
) -> None:
    # a SARIF report is larger than the file stream's buffer: the disk was full at its write,
    # not at the commit, and that OSError was an internal error, exit 3
    target = f"{report}={FULL}" if where == "--report" else FULL
    args = ("--format", report) if where == "--output" else ()
    done = _lint(_project(tmp_path), "--no-cache", *args, where, target, stdout="/dev/null")
    assert done.returncode == 2, done.stderr
    assert done.stderr == f"kpolicy: error: {FULL}: cannot write: No space left on device\n"


@pytest.mark.parametrize("mode", [("--diff",), ("--fix",), ("--fix", "--format", "sarif")])
@pytest.mark.parametrize("stdout", [None, FULL])
def test_a_diff_or_a_fix_report_to_an_unwritable_stdout_is_an_io_error(
    tmp_path: Path, mode: tuple[str, ...], stdout: str | None
) -> None:
    # the --fix/--diff command wrote stdout itself: an internal error, exit 3
    if stdout is not None and not os.path.exists(stdout):
        pytest.skip("no /dev/full on this system")
    folder = _project(tmp_path)
    (folder / "web.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
        "  revisionHistoryLimit: 0\n  selector: {matchLabels: {app: web}}\n  template:\n"
        "    metadata: {labels: {app: web}}\n"
        "    spec: {containers: [{name: web, image: 'nginx:1.27'}]}\n"
    )
    done = _lint(folder, "--no-cache", *mode, stdout=stdout)
    assert done.returncode == 2, done.stderr
    reason = "standard output is closed" if stdout is None else "No space left on device"
    assert f"kpolicy: error: cannot write the report to standard output: {reason}\n" in done.stderr
    assert "internal error" not in done.stderr


def test_a_fix_report_to_output_is_written_as_a_lints_is(tmp_path: Path) -> None:
    # --fix wrote its --output with Path.write_text: through a symbolic link at the target
    # (which a lint refuses), and a full disk was an internal error
    folder = _project(tmp_path)
    (folder / "web.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
        "  revisionHistoryLimit: 0\n  selector: {matchLabels: {app: web}}\n  template:\n"
        "    metadata: {labels: {app: web}}\n"
        "    spec: {containers: [{name: web, image: 'nginx:1.27'}]}\n"
    )
    outside = tmp_path / "outside.txt"
    outside.write_text("kept\n")
    (folder / "out.txt").symlink_to(outside)
    done = _lint(folder, "--no-cache", "--fix", "--output", "out.txt", stdout="/dev/null")
    assert done.returncode == 2, done.stderr
    assert "out.txt: is a symbolic link" in done.stderr
    assert outside.read_text() == "kept\n"
    if os.path.exists(FULL):
        done = _lint(folder, "--no-cache", "--fix", "--output", FULL, stdout="/dev/null")
        assert done.returncode == 2, done.stderr
        assert "internal error" not in done.stderr
    done = _lint(folder, "--no-cache", "--fix", "--output", "report.txt", stdout="/dev/null")
    assert done.returncode == 0, done.stderr  # fixed by the runs before
    assert "in 1 file" in (folder / "report.txt").read_text()


def _both(folder: Path, *args: str, stderr: str) -> int:
    """The exit code of ``kpolicy lint ARGS`` (its paths given) with stdout to /dev/null and
    stderr to ``stderr``."""
    command = shlex.join([sys.executable, "-m", "kpolicy", "lint", *args])
    return subprocess.run(
        ["sh", "-c", f"exec {command} > /dev/null 2> {shlex.quote(stderr)}"],
        cwd=folder,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ).returncode


@needs_full
@pytest.mark.parametrize("cached", [False, True])
def test_a_full_disk_behind_both_streams_is_an_io_error(tmp_path: Path, cached: bool) -> None:
    """stdout and stderr both full: exit 2 (nothing can say why), in a run and in a replay;
    the line that would say so was written to the full stderr, which failed, and that was an
    internal error (exit 3)."""
    folder = _project(tmp_path)
    args = ["."] if cached else ["--no-cache", "."]
    if cached:
        assert _both(folder, ".", stderr=str(tmp_path / "first.txt")) == 1  # fills the cache
    command = shlex.join([sys.executable, "-m", "kpolicy", "lint", *args])
    done = subprocess.run(
        ["sh", "-c", f"exec {command} > {FULL} 2> {FULL}"],
        cwd=folder,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 2


@needs_full
@pytest.mark.parametrize("cached", [False, True])
def test_a_full_stderr_with_nothing_to_say_keeps_the_runs_exit_code(
    tmp_path: Path, cached: bool
) -> None:
    """A run whose messages are none does not write to stderr at all: a full stderr does not
    change its exit code (it was an internal error, exit 3: even an empty write fails there)."""
    folder = _project(tmp_path)
    args = ["."] if cached else ["--no-cache", "."]
    if cached:
        assert _both(folder, ".", stderr=str(tmp_path / "first.txt")) == 1
    assert _both(folder, *args, stderr=FULL) == 1  # the Service's finding


@needs_full
def test_messages_a_full_stderr_loses_are_an_io_error(tmp_path: Path) -> None:
    """A run with messages for stderr (here a path that does not exist) whose stderr is full:
    exit 2, not an internal error."""
    folder = _project(tmp_path)
    assert _both(folder, "--no-cache", ".", "missing.yaml", stderr=str(tmp_path / "e.txt")) == 2
    assert "missing.yaml" in (tmp_path / "e.txt").read_text()
    assert _both(folder, "--no-cache", ".", "missing.yaml", stderr=FULL) == 2
