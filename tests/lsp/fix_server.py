"""The language server with a rule that declares a fix, for the tests of that mechanism.

deployment-paused has no fix of its own (resuming a rollout is a decision), so this wraps the
engine's diagnostic factory to give it one (delete the ``paused: true`` line, written as a raw
text edit that says what it changes) and then serves as usual.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import kpolicy.engine as engine
from kpolicy.lsp.server import main
from kpolicy.model import Diagnostic, Expect, Fix, KObject, Span, TextEdit

_original = engine.to_diagnostic

FIX_TITLE = "Resume the rollout: delete spec.paused"


def to_diagnostic(
    obj: KObject, rule_id: str, severity: Any, problem: Any, rejects: bool = False
) -> Diagnostic:
    diagnostic = _original(obj, rule_id, severity, problem, rejects)
    if rule_id == "deployment-paused":
        key = obj.span(("spec", "paused"), "key")
        edit = TextEdit(Span(key.line, 1, key.line + 1, 1), "")
        gone = Expect(obj.doc_index, obj.base + "/spec/paused", present=False)
        diagnostic = dataclasses.replace(
            diagnostic, fix=Fix(FIX_TITLE, (edit,), "unsafe", expect=(gone,))
        )
    return diagnostic


if __name__ == "__main__":
    # patched only in the server's own process: a test that imports FIX_TITLE from here must
    # not change the engine of every later test in its process
    engine.to_diagnostic = to_diagnostic
    main()
