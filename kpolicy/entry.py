"""The ``kpolicy`` command's entry point: replay a cached ``kpolicy lint`` before anything
heavy is imported, else run the typer application (``kpolicy.cli``).

Exit codes: 0 clean, 1 findings, 2 a usage or I/O error, 3 an internal error (a bug in
kpolicy, or a worker process killed): one line on stderr, the traceback only with ``--debug``.
"""

from __future__ import annotations

import sys

INTERNAL_ERROR_EXIT = 3


def main() -> None:
    try:
        if "--no-cache" not in sys.argv[2:]:  # the cache would decline it: not imported
            from kpolicy.cache import replay_command_line

            replayed = replay_command_line(sys.argv[1:])
            if replayed is not None:
                sys.exit(replayed)
        from kpolicy.fastcli import parse_lint

        arguments = parse_lint(sys.argv[1:])
        if arguments is not None:
            sys.exit(_lint(arguments))
        from kpolicy.cli import main as run

        run()
    except Exception as exc:  # SystemExit and KeyboardInterrupt are not Exceptions
        sys.exit(internal_error(exc, "--debug" in sys.argv[1:]))


def _lint(arguments: dict[str, object]) -> int:
    """``kpolicy lint`` parsed by :mod:`kpolicy.fastcli`, ended as typer ends a command
    (``typer.core._main``): a closed pipe exits 1 and quietly, Ctrl-C exits 130, the end of
    input prints ``Aborted!`` and exits 1."""
    import errno

    from kpolicy.lintcmd import reconfigure_streams, run

    reconfigure_streams()  # as kpolicy.cli.main does
    try:
        return run(**arguments)  # type: ignore[arg-type]
    except EOFError:
        sys.stderr.write("\nAborted!\n")
        return 1
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        from typer._click.utils import PacifyFlushWrapper

        sys.stdout = PacifyFlushWrapper(sys.stdout)
        sys.stderr = PacifyFlushWrapper(sys.stderr)
        return 1


def internal_error(exc: BaseException, debug: bool) -> int:
    """Report ``exc`` on one line (with its traceback when ``debug``); the exit code, 3."""
    from kpolicy.errors import InternalError

    if debug:
        import traceback

        sys.stderr.write("".join(traceback.format_exception(exc)))
    if isinstance(exc, InternalError):
        message = str(exc)
    elif isinstance(exc, MemoryError):
        message = "out of memory (raise the memory limit, or lint fewer files at a time)"
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
