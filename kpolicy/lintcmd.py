"""``kpolicy lint`` itself, without the command-line parser: :func:`run` takes the parsed
options (``kpolicy.cli.lint``'s parameters) and returns the exit code. typer (``kpolicy.cli``)
calls it after parsing; the entry point calls it directly when :mod:`kpolicy.fastcli` parses
the command line, so that a one-file run (a pre-commit hook) never imports typer."""

from __future__ import annotations

import os
import sys

from kpolicy import __version__, escape
from kpolicy.errors import UsageError
from kpolicy.hints import cast

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path  # made where a path is given: a plain run does without pathlib
    from typing import ClassVar, TextIO

    from kpolicy.command import LintCommand
    from kpolicy.model import LintResult


def reconfigure_streams() -> None:
    """A report must not fail on a name the locale cannot encode (LC_ALL=C in CI images). A
    closed stdout (``>&-``: Python's ``sys.stdout`` is None) becomes one whose writes fail as
    a closed descriptor's do, so that a report to it is an I/O error (:func:`_to_stdout`),
    while a run that writes its report elsewhere (``--output``) is not disturbed."""
    if sys.stdout is None:
        sys.stdout = _ClosedStdout()
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


class _ClosedStdout:
    """Standard output when the process started without one."""

    def write(self, text: str) -> int:
        import errno

        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def _fail(message: str) -> int:
    """Say why on stderr; the exit code of a usage or I/O error, 2, even where stderr cannot
    be written either (a full disk behind both streams): nothing else is left to say it."""
    try:
        sys.stderr.write(f"kpolicy: error: {escape.text(message)}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    return 2


def color_by_default(tty: bool) -> bool:
    """Colour when nothing on the command line decides: off when ``NO_COLOR`` is set and not
    empty (no-color.org), on when ``FORCE_COLOR`` is (force-color.org; ``NO_COLOR`` wins when
    both are), else on a terminal. ``--color``/``--no-color`` override both."""
    import os

    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return tty


def parse_gates(values: list[str]) -> dict[str, bool]:
    gates: dict[str, bool] = {}
    for value in values:
        for item in value.split(","):
            if not item.strip():
                continue
            name, sep, flag = item.partition("=")
            if not sep or flag.strip().lower() not in ("true", "false"):
                raise UsageError(f"--feature-gates expects Name=true|false, got {item!r}")
            gates[name.strip()] = flag.strip().lower() == "true"
    return gates


def write_output_file(output: Path, text: str) -> None:
    """The report to ``--output``: atomically, never through a symbolic link at the target
    (see :class:`kpolicy.fsutil.Output`)."""
    from kpolicy.fsutil import OutputError, write_output

    try:
        write_output(output, text)
    except OutputError as exc:
        raise UsageError(str(exc)) from None


def parse_reports(values: list[str], output: Path | None) -> list[tuple[str, Path]]:
    """``--report FORMAT=PATH`` values as (format, path); a usage error for a bad one."""
    from kpolicy.report import FORMATS

    reports: list[tuple[str, Path]] = []
    seen = {os.path.abspath(output): "--output"} if output is not None else {}
    for value in values:
        name, sep, target = value.partition("=")
        name = name.strip()
        if not sep or not name or not target:
            raise UsageError(
                f"--report expects FORMAT=PATH (e.g. sarif=kpolicy.sarif), got {value!r}"
            )
        if name not in FORMATS:
            raise UsageError(f"--report: unknown format {name!r}; choose from {', '.join(FORMATS)}")
        if target == "-":
            raise UsageError("--report writes a file; the report on the terminal is --format's")
        where = os.path.abspath(target)
        if where in seen:
            raise UsageError(f"--report: {target} is also written by {seen[where]}")
        seen[where] = f"--report {value}"
        from pathlib import Path

        reports.append((name, Path(target)))
    return reports


def run(
    paths: list[str] | None = None,
    output_format: str = "text",
    output: Path | None = None,
    report_files: list[str] | None = None,
    config: Path | None = None,
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    fail_on: str | None = None,
    context: list[str] | None = None,
    kubernetes_version: str | None = None,
    cluster_domain: str | None = None,
    stdin_filename: str = "<stdin>",
    policy: list[Path] | None = None,
    nodes: Path | None = None,
    feature_gates: list[str] | None = None,
    schema_dir: Path | None = None,
    max_file_size: int | None = None,
    show_suppressed: bool = False,
    baseline: Path | None = None,
    write_baseline: Path | None = None,
    show_skipped: bool = False,
    kustomize: list[str] | None = None,
    no_ignore: bool = False,
    force_exclude: bool | None = None,
    color: bool | None = None,
    debug: bool = False,
    no_cache: bool = False,
    fix: bool = False,
    unsafe_fixes: bool = False,
    diff: bool = False,
    jobs: int = 0,
) -> int:
    """Lint; the exit code (0 clean, 1 findings, 2 a usage or I/O error)."""
    try:
        reports = parse_reports(report_files or [], output)
        fixing = fix or diff
        if unsafe_fixes and not fixing:
            raise UsageError("--unsafe-fixes goes with --fix or --diff")
        if fix and diff:
            raise UsageError("--fix and --diff: give one (--diff changes nothing)")
        if fixing and (kustomize or write_baseline is not None):
            raise UsageError(
                f"{'--fix' if fix else '--diff'} fixes the files given, not --kustomize "
                "output or a baseline being written"
            )
    except UsageError as exc:
        return _fail(str(exc))
    from kpolicy.command import LintCommand

    return execute(
        LintCommand(
            paths=tuple(paths or ()),
            output_format=output_format,
            output=output,
            report_formats=tuple(name for name, _ in reports),
            report_paths=tuple(path for _, path in reports),
            config=config,
            select=tuple(select or ()),
            ignore=tuple(ignore or ()),
            fail_on=fail_on,
            context=tuple(context or ()),
            kubernetes_version=kubernetes_version,
            cluster_domain=cluster_domain,
            stdin_filename=stdin_filename,
            policy=tuple(policy or ()),
            nodes=nodes,
            feature_gates=tuple(feature_gates or ()),
            schema_dir=schema_dir,
            max_file_size=max_file_size,
            show_suppressed=show_suppressed,
            baseline=baseline,
            write_baseline=write_baseline,
            show_skipped=show_skipped,
            kustomize=tuple(kustomize or ()),
            no_ignore=no_ignore,
            force_exclude=force_exclude,
            color=color,
            debug=debug,
            no_cache=no_cache,
            fix=fix,
            unsafe_fixes=unsafe_fixes,
            diff=diff,
            jobs=jobs,
        )
    )


def execute(command: LintCommand) -> int:
    """Run ``kpolicy lint`` as ``command`` says, replayed from the cache when it can be; the
    exit code."""
    import io

    from kpolicy.records import replace

    cache = None
    if command.cacheable:
        from kpolicy.cache import RunCache

        cache = RunCache.for_command(command.cache_key(), command.linted)
        replayed = cache.replay() if cache is not None else None
        if replayed is not None:
            from kpolicy.cache import emit

            # the report goes to this command line's --output, and the texts of the --report
            # files to this command line's paths, never to a recorded path
            code = emit(replayed, command.output, command.reports)
            if code is not None:
                return code

    from kpolicy.lifetime import keep
    from kpolicy.lint import FAIL_LEVELS, as_baselined, build_session, exit_code
    from kpolicy.lint import lint as run_lint
    from kpolicy.report import FORMATS, ReportContext, writer

    output_format = command.output_format
    output = command.output
    write_baseline = command.write_baseline
    try:
        if output_format not in FORMATS:
            raise UsageError(f"unknown format {output_format!r}; choose from {', '.join(FORMATS)}")
        if command.fail_on is not None and command.fail_on not in FAIL_LEVELS:
            raise UsageError(f"--fail-on must be one of {', '.join(FAIL_LEVELS)}")
        if command.baseline is not None and write_baseline is not None:
            raise UsageError(
                "--baseline and --write-baseline: give one (--write-baseline "
                "replaces the baseline with the findings of this run)"
            )
        options = command.options(parse_gates(list(command.feature_gates)))
        session = build_session(options)
        if command.max_file_size is not None:
            session = replace(
                session, limits=replace(session.limits, max_file_bytes=command.max_file_size)
            )
        if cache is not None:
            origin = session.config.origin
            force_exclude = command.force_exclude
            cache.begin(
                {
                    "paths": list(options.paths),
                    "context": list(options.context),
                    "stdin_name": command.stdin_filename,
                    "exclude": list(session.config.exclude),
                    "force_exclude": bool(
                        force_exclude if force_exclude is not None else session.config.force_exclude
                    ),
                    "ignore_files": not command.no_ignore,
                    "exclude_base": str(origin.parent) if origin is not None else None,
                    "config": str(command.config) if command.config is not None else None,
                    "policies": [str(p) for p in (*session.config.policies, *options.policies)],
                    "nodes": str(command.nodes) if command.nodes is not None else None,
                    "schema_dir": [str(command.schema_dir)]
                    if command.schema_dir is not None
                    else [],
                    "limit": session.limits.max_file_bytes,
                    "baseline": str(session.cwd / session.baseline.path)
                    if session.baseline is not None
                    else None,
                    # an exemption with `until` makes the report depend on the day
                    "dated": any(e.until is not None for e in session.config.exemptions),
                }
            )
        if command.fix or command.diff:
            from kpolicy.fix.cli import run_fix_command

            return run_fix_command(
                options,
                session,
                unsafe=command.unsafe_fixes,
                write=command.fix,
                output_format=output_format,
                output=output,
                color=command.color,
                show_suppressed=command.show_suppressed,
                show_skipped=command.show_skipped,
                fail_on=command.fail_on,
            )
        result, traces = run_lint(options, session)
        if write_baseline is not None:
            from kpolicy.baseline import write_baseline as write_baseline_file

            if result.errors:
                raise UsageError(
                    f"{result.errors[0]}; the baseline {write_baseline} was not written (a "
                    "baseline without the findings of unreadable files would hide them later)"
                )
            recorded = write_baseline_file(write_baseline, result.diagnostics, session.cwd)
            result = as_baselined(result, str(recorded.path))
            sys.stderr.write(
                f"kpolicy: wrote {len(recorded.entries)} finding"
                f"{'' if len(recorded.entries) == 1 else 's'} to the baseline "
                f"{escape.path(write_baseline)}\n"
            )
        use_color = (
            command.color
            if command.color is not None
            else (output is None and color_by_default(sys.stdout.isatty()))
        )
        ctx = ReportContext(
            rules=session.rules,
            tool_version=__version__,
            color=use_color and output_format == "text",
            show_suppressed=command.show_suppressed,
            show_skipped=command.show_skipped,
        )
        if "sarif" in (output_format, *command.report_formats):
            result = _with_plain_fixes(result, session.cwd, command.stdin_filename)
        # nothing keeps the text when it goes to stdout unrecorded: written as it comes
        report = _Pieces(through=output is None and cache is None)
        stream: TextIO = cast("TextIO", report)
        try:
            writer(output_format)(result, ctx, stream)
        finally:
            report.flush()  # (what the writer wrote before it failed too, as it was written)
        if output is None:
            report.to_stdout()
        else:
            write_output_file(output, report.getvalue())
        written: list[list[str]] = []
        if command.reports:
            file_ctx = replace(ctx, color=False)
            for name, path in command.reports:
                text = io.StringIO()
                writer(name)(result, file_ctx, text)
                write_output_file(path, text.getvalue())
                written.append([name, text.getvalue()])
        messages = "".join(f"kpolicy: warning: {escape.text(note)}\n" for note in result.warnings)
        messages += "".join(f"kpolicy: error: {escape.text(error)}\n" for error in result.errors)
        # a traceback names files and objects from the input: escaped line by line
        messages += "".join(
            escape.text(line) + "\n" for trace in traces for line in trace.rstrip("\n").split("\n")
        )
        if messages:  # (nothing written else: a full stderr refuses even an empty write)
            try:
                sys.stderr.write(messages)
                sys.stderr.flush()
            except OSError as exc:  # the messages lost: an I/O error, as for the report
                reason = exc.strerror or str(exc)
                raise UsageError(f"cannot write to standard error: {reason}") from None
        level = command.fail_on or session.config.fail_on or "warning"
        code = exit_code(result, level)
        if cache is not None and not result.errors and not traces:
            cache.watch(result.read_also)
            cache.store(
                {"report": report.getvalue(), "stderr": messages, "exit": code, "reports": written},
                output,
            )
        # a one-shot process ends without freeing the findings and the report
        keep(result, report, session, ctx)
        return code
    except UsageError as exc:
        return _fail(str(exc))


class _Pieces:
    """The report as its writer writes it, piece by piece: with ``through``, written to stdout
    as it comes and not kept; else kept, written to stdout as it was given (a stream encodes what
    it is given at once) and joined only for a file or the cache. A buffer of the whole text,
    and its copy for stdout, were two copies of the report (tens of megabytes at the end of a
    large run).

    Small pieces (a report's punctuation, a text report's lines) are gathered up to
    :data:`BATCH` characters and go to stdout in one write: a stream without a buffer
    (``PYTHONUNBUFFERED``, set in many CI and container images) made a system call of each,
    ten thousand for a large run's text report. A large piece goes as it is, after those before
    it, rather than copied into a batch. The batches stay of one bounded size, so that each one
    and its bytes reuse the memory of the one before (a report made whole, then encoded whole,
    was thousands of fresh pages)."""

    __slots__ = ("_pieces", "_size", "_text", "_through")

    # the characters gathered before they go to stdout; a piece of an eighth of it goes alone
    BATCH: ClassVar[int] = 1 << 16

    def __init__(self, through: bool = False) -> None:
        self._pieces: list[str] = []
        self._size = 0
        self._text: str | None = None
        self._through = through

    def write(self, text: str) -> int:
        if not self._through:
            self._pieces.append(text)
        elif len(text) >= self.BATCH >> 3:
            self.flush()
            _to_stdout(text)
        else:
            self._pieces.append(text)
            self._size += len(text)
            if self._size >= self.BATCH:
                self.flush()
        return len(text)

    def flush(self) -> None:
        """Write to stdout what waits (``through``: the pieces not written yet)."""
        if self._through and self._pieces:
            text = "".join(self._pieces)
            self._pieces.clear()
            self._size = 0
            _to_stdout(text)

    def to_stdout(self) -> None:
        """The report to stdout: what waits (``through``), or every piece kept, batched as
        ``through`` writes them."""
        if self._through:
            self.flush()
            return
        out = _Pieces(through=True)
        for piece in self._pieces:
            out.write(piece)
        out.flush()

    def getvalue(self) -> str:
        if self._through:
            raise AssertionError("the report went to stdout unkept")
        if self._text is None:
            self._text = "".join(self._pieces)
            self._pieces = [self._text]
        return self._text


def _to_stdout(text: str) -> None:
    """Write ``text`` to stdout, :data:`_Pieces.BATCH` characters at a time (a batch and a
    little more at once): the stream encodes what it is given at once, and a slice of that
    size and its bytes reuse the memory of the slice before."""
    step = _Pieces.BATCH
    try:
        if len(text) < 2 * step:
            sys.stdout.write(text)
            return
        for start in range(0, len(text), step):
            sys.stdout.write(text[start : start + step])
    except BrokenPipeError:
        raise  # a reader that went away: ended quietly, as typer does (kpolicy.entry._lint)
    except OSError as exc:
        # a full disk, a closed descriptor: an I/O error (exit 2), not a bug of kpolicy's
        reason = exc.strerror or str(exc)
        raise UsageError(f"cannot write the report to standard output: {reason}") from None


def _with_plain_fixes(result: LintResult, cwd: Path, stdin_name: str) -> LintResult:
    """SARIF carries fixes as text replacements: written against the reported files' text."""
    from kpolicy.fix.resolve import plain_fixes
    from kpolicy.fix.run import FixedFile, read_fixable

    reported = {c.file for c in result.checked}

    def read(display: str) -> str | None:
        if display not in reported or display == stdin_name:
            return None
        found = read_fixable(display, cwd, stdin_name, None)
        return found.text if isinstance(found, FixedFile) else None

    return plain_fixes(result, read)
