"""The language server with a lint that takes at least half a second, for the tests of how edits
that arrive during a lint are coalesced: a burst sent right after a lint starts arrives while it
runs, on any machine."""

from __future__ import annotations

import time
from typing import Any

from kpolicy.lsp.project import Outcome, Project
from kpolicy.lsp.server import main

LINT_SECONDS = 0.5

_original = Project.lint


def lint(self: Project, *args: Any, **kwargs: Any) -> Outcome:
    time.sleep(LINT_SECONDS)
    return _original(self, *args, **kwargs)


Project.lint = lint  # type: ignore[method-assign]

if __name__ == "__main__":
    main()
