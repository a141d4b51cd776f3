"""Fixes a check attaches to a finding: built from the spans the loader recorded.

A check calls one of the builders below where it makes the finding; each returns a
:class:`~kpolicy.model.Fix` or None when the file's layout leaves no clear edit (the value is
an alias, a multi-line scalar, the mapping is missing). The text of an insertion is written at
fix time (:mod:`kpolicy.fix.text`), where the file's layout is known; every fix says what the
data must look like afterwards (``Expect``), and a fixed file is read back and held to it.
"""

from __future__ import annotations

from collections.abc import Sequence

from kpolicy.model import (
    Applicability,
    DeleteKey,
    Edit,
    Expect,
    Fix,
    InsertKey,
    KObject,
    Path,
    Span,
    TextEdit,
    to_pointer,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "combine",
    "delete_key",
    "insert_key",
    "quote_value",
    "rename_key",
    "set_value",
]


def _entry(obj: KObject, path: Path) -> tuple[Span | None, Span] | None:
    return obj.positions.lookup(obj.base + to_pointer(path))


def _expect(obj: KObject, path: Path, value: Any = None, present: bool = True) -> Expect:
    return Expect(obj.doc_index, obj.base + to_pointer(path), present, value)


def _file(obj: KObject, finding_file: str | None) -> str | None:
    """The fix's file: None when it is the finding's own."""
    display = obj.source.display
    return None if finding_file is None or display == finding_file else display


def set_value(
    obj: KObject,
    path: Path,
    value: Any,
    title: str,
    applicability: Applicability = "safe",
    *,
    before: str | None = None,
    finding_file: str | None = None,
) -> Fix | None:
    """Set ``path`` of ``obj`` to ``value``: replace a one-line scalar in place, or insert the
    key into its mapping (before the key ``before``, else first) when it is missing."""
    from kpolicy.fix.text import scalar_text

    entry = _entry(obj, path)
    if entry is None:
        return insert_key(
            obj,
            path[:-1],
            str(path[-1]),
            value,
            title,
            applicability,
            before=before,
            finding_file=finding_file,
        )
    _, span = entry
    if span.end_line != span.line or span.end_column <= span.column:
        return None  # an empty or multi-line value: no clear span to replace
    if not isinstance(value, (str, int, float, bool)) and value is not None:
        return None
    return Fix(
        title,
        (TextEdit(span, scalar_text(value)),),
        applicability,
        file=_file(obj, finding_file),
        expect=(_expect(obj, path, value),),
    )


def _insert(
    obj: KObject, mapping_path: Path, key: str, value: Any, before: str | None
) -> InsertKey | None:
    mapping: Any = obj.data
    for step in mapping_path:
        mapping = mapping.get(step) if isinstance(mapping, dict) else None
    if not isinstance(mapping, dict) or key in mapping:
        return None
    entry = _entry(obj, mapping_path)
    if entry is None:
        return None
    anchor: Span | None = None
    names = [str(k) for k in mapping]
    if names:
        name = before if before in names else names[0]
        child = _entry(obj, (*mapping_path, name))
        if child is None or child[0] is None:
            return None
        anchor = child[0]
    return InsertKey(entry[1], anchor, key, value)


def insert_key(
    obj: KObject,
    mapping_path: Path,
    key: str,
    value: Any,
    title: str,
    applicability: Applicability = "safe",
    *,
    before: str | None = None,
    finding_file: str | None = None,
) -> Fix | None:
    """Insert ``key: value`` (any YAML value) into the mapping at ``mapping_path``."""
    edit = _insert(obj, mapping_path, key, value, before)
    if edit is None:
        return None
    return Fix(
        title,
        (edit,),
        applicability,
        file=_file(obj, finding_file),
        expect=(_expect(obj, (*mapping_path, key), value),),
    )


def delete_key(
    obj: KObject,
    path: Path,
    title: str,
    applicability: Applicability = "safe",
    *,
    finding_file: str | None = None,
) -> Fix | None:
    entry = _entry(obj, path)
    if entry is None or entry[0] is None:
        return None
    return Fix(
        title,
        (DeleteKey(entry[0], entry[1]),),
        applicability,
        file=_file(obj, finding_file),
        expect=(_expect(obj, path, present=False),),
    )


def rename_key(
    obj: KObject,
    path: Path,
    new_key: str,
    title: str,
    applicability: Applicability = "safe",
) -> Fix | None:
    """Rename the key at ``path`` (a plain key written on one line) to ``new_key``."""
    entry = _entry(obj, path)
    if entry is None or entry[0] is None or entry[0].end_line != entry[0].line:
        return None
    parent: Any = obj.data
    for step in path[:-1]:
        parent = parent.get(step) if isinstance(parent, dict) else None
    if not isinstance(parent, dict) or new_key in parent or path[-1] not in parent:
        return None
    return Fix(
        title,
        (TextEdit(entry[0], new_key),),
        applicability,
        expect=(
            _expect(obj, path, present=False),
            _expect(obj, (*path[:-1], new_key), parent[path[-1]]),
        ),
    )


def combine(title: str, applicability: Applicability, fixes: Sequence[Fix | None]) -> Fix | None:
    """One fix of several on the same file (all of them, or None when one is missing)."""
    present = [f for f in fixes if f is not None]
    if not present or len(present) != len(fixes):
        return None
    files = {f.file for f in present}
    if len(files) != 1:
        return None
    edits: list[Edit] = []
    expect: list[Expect] = []
    for fix in present:
        edits.extend(fix.edits)
        expect.extend(fix.expect)
    return Fix(title, tuple(edits), applicability, file=present[0].file, expect=tuple(expect))


def quote_value(obj: KObject, path: Path, title: str) -> Fix | None:
    """Quote a one-line plain scalar as written (``on`` → ``"on"``, ``0777`` → ``"0777"``):
    two insertions, so the text between them is kept whatever it is."""
    pointer = obj.base + to_pointer(path)
    entry = obj.positions.lookup(pointer)
    if entry is None:
        return None
    span = entry[1]
    if span.end_line != span.line or span.end_column <= span.column:
        return None
    start = Span(span.line, span.column, span.line, span.column)
    end = Span(span.line, span.end_column, span.line, span.end_column)
    value = obj.data
    for step in path:
        value = value[step]  # type: ignore[index]
    return Fix(
        title,
        (TextEdit(start, '"'), TextEdit(end, '"')),
        expect=(Expect(obj.doc_index, pointer, True, value, quoted=True),),
    )
