"""The ``kpolicy`` command's entry point: replay a cached ``kpolicy lint`` before anything
heavy is imported, else run the typer application (``kpolicy.cli``).

Exit codes: 0 clean, 1 findings, 2 a usage or I/O error, 3 an internal error (a bug in
kpolicy, or a worker process killed): one line on stderr, the traceback only with ``--debug``.
"""

from __future__ import annotations

import gc
import sys

INTERNAL_ERROR_EXIT = 3
# the line for a MemoryError, made in advance: making it when the memory has run out may fail
_OUT_OF_MEMORY = (
    b"kpolicy: internal error: out of memory (raise the memory limit, or lint fewer files at a "
    b"time)\n"
)


def command() -> None:
    """The ``kpolicy`` command as a process of its own (the console script, ``python -m
    kpolicy``): :func:`main`, where a ``kpolicy lint`` then ends the process without freeing
    what the run made (:mod:`kpolicy.lifetime`, :func:`_end`)."""
    main(own_process=True)


def main(own_process: bool = False) -> None:
    """``kpolicy`` with ``sys.argv``; ``own_process``: this call is the whole process (see
    :func:`command`), never when another program (a test) calls it in its own process."""
    # A lint is one short process: the cyclic collector's passes over the modules it imports
    # found nothing to free and cost a tenth of a one-file run (kpolicy.lint keeps it off for
    # the run itself, for the same reason). Anything else (typer's commands, the language
    # server, which lives long) runs with it on.
    gc.disable()
    if sys.stderr is None:  # started with it closed (2>&-): Python's sys.stderr is None
        sys.stderr = _NoStderr()
    try:
        if "--no-cache" not in sys.argv[2:]:  # the cache would decline it: not imported
            from kpolicy.cache import replay_command_line

            try:
                replayed = replay_command_line(sys.argv[1:])
            except BrokenPipeError:
                replayed = _reader_gone()  # as a run ends on it (_lint), not an internal error
            if replayed is not None:
                if own_process:  # as a run ends: the interpreter's teardown is a fifth of it
                    _end(replayed)
                sys.exit(replayed)
        from kpolicy.fastcli import parse_lint

        arguments = parse_lint(sys.argv[1:])
        if arguments is not None:
            if own_process:
                from kpolicy.lifetime import keep_until_end, populate_arenas

                keep_until_end()
                populate_arenas()
            code = _lint(arguments)
            if own_process:
                _end(code)
            sys.exit(code)
        gc.enable()
        from kpolicy.cli import main as run

        run()
    except Exception as exc:  # SystemExit and KeyboardInterrupt are not Exceptions
        sys.exit(internal_error(exc, "--debug" in sys.argv[1:]))


class _NoStderr:
    """Standard error when the process started without one: its messages go nowhere, and the
    exit code still tells a usage or I/O error (2) from findings (1). Without it, writing the
    error's line failed (None has no write), and the uncaught AttributeError exited 1."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def _lint(arguments: dict[str, object]) -> int:
    """``kpolicy lint`` parsed by :mod:`kpolicy.fastcli`, ended as typer ends a command
    (``typer.core._main``): a closed pipe exits 1 and quietly, Ctrl-C exits 130, the end of
    input prints ``Aborted!`` and exits 1."""
    import errno

    from kpolicy.lintcmd import reconfigure_streams, run

    reconfigure_streams()  # as kpolicy.cli.main does
    try:
        code = run(**arguments)  # type: ignore[arg-type]
        # the report is written and every file closed: what is left is freed as the process
        # ends, where the collector would walk every object of the run once more (a tenth of a
        # one-file run) to find no garbage
        gc.freeze()
        return code
    except EOFError:
        sys.stderr.write("\nAborted!\n")
        return 1
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        return _reader_gone()


def _reader_gone() -> int:
    """A report's reader went away (a closed pipe): the exit code, 1, with the streams'
    further flushes quiet, as typer ends on it."""
    from typer._click.utils import PacifyFlushWrapper

    sys.stdout = PacifyFlushWrapper(sys.stdout)
    sys.stderr = PacifyFlushWrapper(sys.stderr)
    return 1


def _end(code: int) -> None:
    """End the process with ``code`` at once, as its normal end would but without freeing the
    run's objects (which :mod:`kpolicy.lifetime` kept for this): the standard streams flushed
    and the ``atexit`` functions run (a lint registers none today; whatever does is run).
    Returns, for the normal end, when a thread other than this one is alive (it would be
    joined) or a stream cannot be flushed (a closed pipe: the normal end reports it as Python
    does)."""
    import os

    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        return
    import atexit

    atexit._run_exitfuncs()  # then cleared: the normal end, if reached, runs none twice
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        return
    from kpolicy.lifetime import hand_off_teardown

    hand_off_teardown()  # its memory unmapped once it ended, not before (descriptors closed)
    os._exit(code)


def internal_error(exc: BaseException, debug: bool) -> int:
    """Report ``exc`` on one line (with its traceback when ``debug``); the exit code, 3."""
    if isinstance(exc, MemoryError):
        return _out_of_memory(exc, debug)
    from kpolicy.errors import InternalError

    if debug:
        import traceback

        sys.stderr.write("".join(traceback.format_exception(exc)))
    if isinstance(exc, InternalError):
        message = str(exc)
    else:
        detail = str(exc).splitlines()[0] if str(exc) else ""
        message = f"{type(exc).__name__}{': ' + detail[:200] if detail else ''}"
        message += "; this is a bug in kpolicy"
        if not debug:
            message += " (run again with --debug for the traceback)"
    try:
        sys.stderr.write(f"kpolicy: internal error: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    return INTERNAL_ERROR_EXIT


def _out_of_memory(exc: MemoryError, debug: bool) -> int:
    """Report a MemoryError on one line; the exit code, 3. The frames of its traceback still
    hold what filled the memory (the documents and findings read so far): they are let go
    first, and the line is written to the descriptor as bytes made in advance. Reported as
    other errors are, the report itself ran out of memory: a traceback, and exit code 1, the
    code of findings."""
    if debug:
        try:
            import traceback

            sys.stderr.write("".join(traceback.format_exception(exc)))
        except MemoryError:
            pass
    exc.__traceback__ = None
    exc.__context__ = exc.__cause__ = None
    import contextlib
    import os

    with contextlib.suppress(OSError, ValueError, MemoryError):
        sys.stderr.flush()
    if not isinstance(sys.stderr, _NoStderr):  # else descriptor 2 may be a file opened since
        with contextlib.suppress(OSError):
            os.write(2, _OUT_OF_MEMORY)
    return INTERNAL_ERROR_EXIT
