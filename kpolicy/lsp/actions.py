"""Text edits for code actions: the ignore directive and the quick fixes the server knows.

Every edit is plain text inserted or replaced at a computed place, so comments and layout
survive. Before an edit is offered it is applied to a copy of the text and the result is read
back: the edit must change exactly the value it means to change (and an ignore comment none),
else it is not offered. That guards the cases a line-based edit gets wrong (a comment inside a
multi-line quoted string, a flow mapping laid out oddly).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from typing import Any

from kpolicy.load import load_documents, load_text
from kpolicy.lsp.positions import Lines, apply_edits
from kpolicy.model import Diagnostic, KObject, SourceFile, Span, TextEdit

# the same pattern as kpolicy.suppress.read_directives
_DIRECTIVE = re.compile(r"#\s*kpolicy:\s*ignore(?:\[([^\]]*)\])?")

HEADLESS_RULE = "statefulset-service-not-headless"
ROLLING_UPDATE_RULE = "rolling-update-invalid"


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


# ---------------------------------------------------------------------------------------------
# Quick fixes that set one value


def _set_at(data: dict[str, Any], path: Sequence[str], value: object) -> dict[str, Any] | None:
    """A copy of ``data`` with ``value`` at ``path`` (the last step may be new), or None."""
    result = copy.deepcopy(data)
    node: Any = result
    for step in path[:-1]:
        node = node.get(step) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            return None
    node[path[-1]] = value
    return result


def _object_after(text: str, obj: KObject) -> dict[str, Any] | None:
    """The same object (by document and place in it) read from an edited text."""
    loaded = load_text(SourceFile(obj.source.display, text))
    for candidate in loaded.objects:
        if candidate.doc_index == obj.doc_index and candidate.base == obj.base:
            return candidate.data
    return None


def _checked(
    text: str, obj: KObject, edits: list[TextEdit], path: Sequence[str], value: object
) -> list[TextEdit] | None:
    """``edits`` when applying them sets ``path`` of ``obj`` to ``value`` and changes nothing
    else in the file."""
    expected = _set_at(obj.data, path, value)
    if expected is None:
        return None
    try:
        new_text = apply_edits(text, edits)
    except ValueError:
        return None
    if _object_after(new_text, obj) != expected:
        return None
    before, syntax_before = _values(text)
    after, syntax_after = _values(new_text)
    if syntax_after != syntax_before or len(before) != len(after):
        return None
    others_before = [v for i, v in before if i != obj.doc_index]
    others_after = [v for i, v in after if i != obj.doc_index]
    return edits if others_before == others_after else None


def _entry(obj: KObject, *path: str) -> tuple[Span | None, Span] | None:
    return obj.positions.entries.get(obj.base + "".join(f"/{p}" for p in path))


def _replace_scalar(value_span: Span, new: str) -> TextEdit | None:
    """Replace a one-line scalar value (not an empty one, whose place is unclear)."""
    if value_span.end_line != value_span.line or value_span.end_column <= value_span.column:
        return None
    return TextEdit(value_span, new)


def _set_key(
    lines: Lines,
    obj: KObject,
    mapping_path: Sequence[str],
    key: str,
    value_text: str,
    before_key: str | None = None,
) -> TextEdit | None:
    """Insert ``key: value_text`` into the mapping at ``mapping_path`` of ``obj``.

    In a block mapping the new line goes above ``before_key`` (else above the first key), with
    that key's indentation; in a flow mapping ``key: value, `` goes before that key, and an
    empty ``{}`` becomes ``{key: value}``.
    """
    mapping_entry = _entry(obj, *mapping_path)
    if mapping_entry is None:
        return None
    _, mapping_span = mapping_entry
    prefix = obj.base + "".join(f"/{p}" for p in mapping_path) + "/"
    children: list[tuple[str, Span]] = []
    for pointer, (key_span, _value) in obj.positions.entries.items():
        rest = pointer[len(prefix) :] if pointer.startswith(prefix) else None
        if rest and "/" not in rest and key_span is not None and rest != "<<":
            children.append((rest, key_span))
    start_line_text = lines.line(mapping_span.line)
    opens_flow = start_line_text[mapping_span.column - 1 : mapping_span.column] == "{"
    if not children:
        if (
            opens_flow
            and lines.text[
                lines.offset(mapping_span.line, mapping_span.column) : lines.offset(
                    mapping_span.end_line, mapping_span.end_column
                )
            ].replace(" ", "")
            == "{}"
        ):
            return TextEdit(mapping_span, f"{{{key}: {value_text}}}")
        return None
    anchor = next((s for name, s in children if name == before_key), None)
    if anchor is None:
        anchor = min((s for _, s in children), key=lambda s: (s.line, s.column))
    line_text = lines.line(anchor.line)
    lead = line_text[: anchor.column - 1]
    if opens_flow:
        return _insert(anchor.line, anchor.column, f"{key}: {value_text}, ")
    if lead.strip():
        return None  # a block key that does not start its line: not a layout we edit
    return _insert(anchor.line, 1, f"{lead}{key}: {value_text}{lines.line_break()}")


def headless_service_edits(service: KObject, text: str) -> list[TextEdit] | None:
    """Make the Service headless: ``clusterIP: None`` in its spec, or None when that is not a
    one-value change (an ExternalName Service, ``clusterIPs`` set, no spec mapping)."""
    spec = service.data.get("spec")
    if not isinstance(spec, dict) or spec.get("type") == "ExternalName":
        return None
    if spec.get("clusterIPs"):
        return None  # clusterIPs[0] must equal clusterIP: two fields to change, left to a human
    lines = Lines.of(text)
    edit: TextEdit | None
    if "clusterIP" in spec:
        entry = _entry(service, "spec", "clusterIP")
        edit = _replace_scalar(entry[1], "None") if entry else None
    else:
        edit = _set_key(lines, service, ("spec",), "clusterIP", "None")
    if edit is None:
        return None
    return _checked(text, service, [edit], ("spec", "clusterIP"), "None")


def _nonzero(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value > 0
    if isinstance(value, str):
        match = re.fullmatch(r"(\d+)%", value)
        return match is not None and int(match.group(1)) > 0
    return False


def daemonset_surge_edits(obj: KObject, text: str) -> list[TextEdit] | None:
    """``maxUnavailable: 0`` next to a DaemonSet's ``maxSurge`` (a DaemonSet may surge only
    with maxUnavailable 0); an explicit non-zero maxUnavailable is set to 0."""
    if obj.kind != "DaemonSet":
        return None
    rolling = (
        obj.data.get("spec", {}).get("updateStrategy", {})
        if isinstance(obj.data.get("spec"), dict)
        else {}
    )
    rolling = rolling.get("rollingUpdate") if isinstance(rolling, dict) else None
    if not isinstance(rolling, dict) or not _nonzero(rolling.get("maxSurge")):
        return None
    path = ("spec", "updateStrategy", "rollingUpdate")
    lines = Lines.of(text)
    edit: TextEdit | None
    if rolling.get("maxUnavailable") is not None:
        entry = _entry(obj, *path, "maxUnavailable")
        edit = _replace_scalar(entry[1], "0") if entry else None
    else:
        edit = _set_key(lines, obj, path, "maxUnavailable", "0", before_key="maxSurge")
    if edit is None:
        return None
    return _checked(text, obj, [edit], (*path, "maxUnavailable"), 0)


# ---------------------------------------------------------------------------------------------
# Finding the object a diagnostic is about


def object_of(diagnostic: Diagnostic, objects: Sequence[KObject]) -> KObject | None:
    """The object of ``objects`` that ``diagnostic`` was reported on."""
    ref = diagnostic.object
    if ref is None:
        return None
    candidates = [o for o in objects if o.ref == ref]
    for obj in candidates:
        entry = obj.positions.entries.get(obj.base + diagnostic.path)
        if entry is not None and any(
            s is not None and s.line == diagnostic.span.line for s in entry
        ):
            return obj
    return candidates[0] if len(candidates) == 1 else None
