"""What ``kpolicy lint --fix`` and ``--diff`` print and write (the CLI parses the options)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

from kpolicy import __version__, escape
from kpolicy.errors import UsageError
from kpolicy.fix.run import FixOutcome, run_fixes, write_fixed
from kpolicy.lint import FAIL_LEVELS, LintOptions, Session, exit_code
from kpolicy.load import decode


def _stdin_text(options: LintOptions, session: Session) -> str | None:
    if "-" not in options.paths or options.stdin_text is not None:
        return options.stdin_text
    data = sys.stdin.buffer.read(session.limits.max_file_bytes + 1)
    if len(data) > session.limits.max_file_bytes:
        raise UsageError("stdin: larger than the file size limit; not fixed")
    text, error, _ = decode(data)
    if text is None:
        raise UsageError(f"stdin: {error}")
    return text


def _summary(outcome: FixOutcome, write: bool) -> str:
    total = sum(outcome.fixed.values())
    if not total:
        return "kpolicy: nothing to fix\n"
    rules = ", ".join(f"{rule} {count}" for rule, count in sorted(outcome.fixed.items()))
    files = len(outcome.changed)
    verb = "fixed" if write else "would fix"
    return (
        f"kpolicy: {verb} {total} finding{'' if total == 1 else 's'} in {files} "
        f"file{'' if files == 1 else 's'} ({rules})\n"
    )


def run_fix_command(
    options: LintOptions,
    session: Session,
    *,
    unsafe: bool,
    write: bool,
    output_format: str,
    output: Path | None,
    color: bool | None,
    show_suppressed: bool,
    show_skipped: bool,
    fail_on: str | None,
) -> int:
    """``--fix`` (``write``) or ``--diff``; the exit code."""
    from dataclasses import replace

    # a full disk or closed stdout: an I/O error
    from kpolicy.lintcmd import _to_stdout, write_output_file
    from kpolicy.report import FORMATS, ReportContext, writer

    if output_format not in FORMATS:
        raise UsageError(f"unknown format {output_format!r}; choose from {', '.join(FORMATS)}")
    if fail_on is not None and fail_on not in FAIL_LEVELS:
        raise UsageError(f"--fail-on must be one of {', '.join(FAIL_LEVELS)}")
    options = replace(options, stdin_text=_stdin_text(options, session))
    outcome = run_fixes(options, session, unsafe)
    result = outcome.result
    messages = "".join(f"kpolicy: warning: {escape.text(w)}\n" for w in outcome.warnings)
    messages += "".join(f"kpolicy: error: {escape.text(e)}\n" for e in result.errors)
    messages += "".join(
        escape.text(line) + "\n" for t in outcome.traces for line in t.rstrip("\n").split("\n")
    )
    if not write:
        # --diff: the diff on stdout, nothing written; 1 when there is something to fix
        _to_stdout("".join(f.diff() for f in outcome.changed))
        sys.stderr.write(messages + _summary(outcome, write))
        if result.errors:
            return 2
        return 1 if outcome.changed else 0
    stdin_fixed = next((f for f in outcome.files.values() if f.path is None), None)
    errors = write_fixed(outcome.changed)
    messages += "".join(f"kpolicy: error: {escape.text(e)}\n" for e in errors)
    ctx = ReportContext(
        rules=session.rules,
        tool_version=__version__,
        color=bool(color) and output_format == "text",
        show_suppressed=show_suppressed,
        show_skipped=show_skipped,
    )
    report = io.StringIO()
    writer(output_format)(result, ctx, report)
    reading_stdin = "-" in options.paths
    if output is not None:
        write_output_file(output, report.getvalue())  # as a lint's: never through a link
    elif reading_stdin:
        messages = report.getvalue() + messages  # stdout carries the fixed text
    else:
        _to_stdout(report.getvalue())
    if reading_stdin:
        text = stdin_fixed.text if stdin_fixed is not None else options.stdin_text or ""
        _to_stdout(text)
    sys.stderr.write(messages + _summary(outcome, write))
    if errors:
        return 2
    return exit_code(result, fail_on or session.config.fail_on or "warning")
