"""The ``kpolicy`` command's entry point: replay a cached ``kpolicy lint`` before anything
heavy is imported, else run the typer application (``kpolicy.cli``)."""

from __future__ import annotations

import sys


def main() -> None:
    from kpolicy.cache import replay_command_line

    replayed = replay_command_line(sys.argv[1:])
    if replayed is not None:
        sys.exit(replayed)
    from kpolicy.cli import main as run

    run()
