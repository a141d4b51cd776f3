"""Fixes written out as plain text edits, for reports that carry them (SARIF ``fixes``).

A check's fix may hold structural edits (insert or delete a key) whose text depends on the
file's layout; a run keeps no file text, so a report that shows fixes reads each file with a
fix once more, writes the edits and keeps only fixes that read back as they say.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from kpolicy.fix.text import apply_fixes, text_edits
from kpolicy.model import Diagnostic, LintResult


def plain_fixes(result: LintResult, read: Callable[[str], str | None]) -> LintResult:
    """``result`` with every fix as plain text edits of its file, or none where the file
    cannot be read or the fix does not apply to it."""
    texts: dict[str, str | None] = {}

    def resolved(diagnostic: Diagnostic) -> Diagnostic:
        fix = diagnostic.fix
        if fix is None:
            return diagnostic
        display = fix.file or diagnostic.file
        if display not in texts:
            texts[display] = read(display)
        text = texts[display]
        edits = None
        if text is not None:
            _, applied = apply_fixes(text, [fix])
            edits = text_edits(fix, text) if applied else None
        return replace(diagnostic, fix=replace(fix, edits=tuple(edits)) if edits else None)

    if not any(d.fix is not None for d in (*result.diagnostics, *result.suppressed)):
        return result
    return replace(
        result,
        diagnostics=tuple(resolved(d) for d in result.diagnostics),
        suppressed=tuple(resolved(d) for d in result.suppressed),
        baselined=tuple(resolved(d) for d in result.baselined),
    )
