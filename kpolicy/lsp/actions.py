"""Text edits for code actions: the ignore directive (the quick fixes are the findings' own,
kpolicy.fix).

Every edit is plain text inserted or replaced at a computed place, so comments and layout
survive. Before an edit is offered it is applied to a copy of the text and the result is read
back: the edit must change exactly the value it means to change (and an ignore comment none),
else it is not offered. That guards the cases a line-based edit gets wrong (a comment inside a
multi-line quoted string, a flow mapping laid out oddly).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from kpolicy.load import load_documents
from kpolicy.lsp.positions import Lines, apply_edits
from kpolicy.model import SourceFile, Span, TextEdit

# the same pattern as kpolicy.suppress.read_directives
_DIRECTIVE = re.compile(r"#\s*kpolicy:\s*ignore(?:\[([^\]]*)\])?")


def _insert(line: int, column: int, text: str) -> TextEdit:
    return TextEdit(Span(line, column, line, column), text)


def _values(text: str) -> tuple[list[tuple[int, Any]], int]:
    documents, diagnostics = load_documents(SourceFile("<edit>", text))
    syntax = sum(1 for d in diagnostics if d.rule == "yaml-syntax")
    return [(d.index, d.value) for d in documents], syntax


def _keeps_values(text: str, edits: Sequence[TextEdit]) -> bool:
    try:
        return _values(apply_edits(text, edits)) == _values(text)
    except ValueError:
        return False


# ---------------------------------------------------------------------------------------------
# "ignore <rule> on this line"


def _merge(line: int, text: str, match: re.Match[str], rule: str) -> TextEdit | None:
    listed = match.group(1)
    if listed is None:
        return None  # `# kpolicy: ignore` already ignores every rule there
    ids = [p.strip() for p in listed.split(",") if p.strip()]
    if not ids or rule in ids or "all" in ids:
        return None  # `ignore[]` reads as every rule too
    separator = ", " if ", " in listed else ","  # as the list is written; the README uses ","
    new = f"{listed.rstrip().rstrip(',')}{separator}{rule}"
    return TextEdit(Span(line, match.start(1) + 1, line, match.end(1) + 1), new)


def ignore_edit(text: str, line: int, rule: str) -> TextEdit | None:
    """The edit that makes ``# kpolicy: ignore[rule]`` cover 1-based ``line``, or None.

    A directive that already covers the line (trailing on it, or alone on the line above) gets
    the rule added; else a trailing comment is appended. Where a trailing comment would change
    a value (the line is inside a multi-line string), a comment line goes above instead, with
    the line's indentation; where that would too, nothing is offered.
    """
    lines = Lines.of(text)
    current = lines.line(line)
    found = _DIRECTIVE.search(current)
    if found is not None and current[: found.start()].strip():
        edit = _merge(line, current, found, rule)
        return edit if edit is not None and _keeps_values(text, [edit]) else None
    above = lines.line(line - 1) if line > 1 else ""
    found_above = _DIRECTIVE.search(above)
    if found_above is not None and not above[: found_above.start()].strip():
        edit = _merge(line - 1, above, found_above, rule)
        return edit if edit is not None and _keeps_values(text, [edit]) else None
    directive = f"# kpolicy: ignore[{rule}]"
    body = current.rstrip()
    if body:
        trailing = TextEdit(Span(line, len(body) + 1, line, len(current) + 1), f"  {directive}")
        if _keeps_values(text, [trailing]):
            return trailing
    indent = current[: len(current) - len(current.lstrip(" "))]
    above_edit = _insert(line, 1, f"{indent}{directive}{lines.line_break()}")
    return above_edit if _keeps_values(text, [above_edit]) else None
