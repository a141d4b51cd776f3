"""Fixes applied to a file's text: every byte outside the edits stays as it was.

Replacements are plain text on the spans the loader recorded. An inserted key is laid out like
its neighbours (block or flow, their indentation, the file's line breaks) and its value is
written by ruamel.yaml's round-trip emitter; a deleted key takes its lines with it. Scalars
are quoted where Kubernetes' YAML 1.1 reading would change them (``on``, ``0777``).

After the edits the text is read again and must hold exactly the old data with the fixes'
``Expect`` changes: a fix whose edits would do anything else is not applied.
"""

from __future__ import annotations

import bisect
import io
import json
import re
from collections.abc import Sequence

from kpolicy.load import load_documents
from kpolicy.model import DeleteKey, Expect, Fix, InsertKey, SourceFile, Span, TextEdit

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from kpolicy.lsp.positions import Lines

# kpolicy.lsp.positions (and lsprotocol's thousands of classes) is imported only where a fix is
# written, never on the lint path: checks call scalar_text in worker processes, where every
# module imported after the fork is walked by the collection after each file.

# the code action kind of "fix all safe in this file" (LSP: source.fixAll, then the tool)
FIX_ALL = "source.fixAll.kpolicy"

_PLAIN = re.compile(r"[A-Za-z0-9_./-]+(?: [A-Za-z0-9_./-]+)*")


def _plain_ok(text: str) -> bool:
    """Whether ``text`` written plain reads back (YAML 1.1, as Kubernetes reads) as itself."""
    if not _PLAIN.fullmatch(text) or text.startswith(("-", "?", ":")):
        return False
    # read as kpolicy reads Kubernetes YAML (go-yaml's YAML 1.1: y, on, 0777, 1e3 are not
    # strings), which is stricter than PyYAML's resolver alone
    found = documents_of(f"- {text}\n")
    return found[1] == 0 and found[0] == [(0, [text])]


def scalar_text(value: Any) -> str:
    """``value`` as a YAML scalar that Kubernetes reads back as the same value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    text = str(value)
    if _plain_ok(text):
        return text
    return json.dumps(text, ensure_ascii=False)


def _marked(value: Any) -> Any:
    """``value`` with every string that must be quoted wrapped for ruamel's emitter."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if isinstance(value, dict):
        return {_marked(str(k)): _marked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_marked(v) for v in value]
    if isinstance(value, str) and not _plain_ok(value):
        return DoubleQuotedScalarString(value)
    return value


def _emit(data: dict[str, Any], flow: bool) -> str:
    """``data`` as YAML written by ruamel.yaml's round-trip emitter (no trailing newline)."""
    from ruamel.yaml import YAML

    writer = YAML(typ="rt")
    writer.width = 4096
    writer.indent(mapping=2, sequence=4, offset=2)
    writer.default_flow_style = flow
    out = io.StringIO()
    writer.dump(_marked(data), out)
    text = out.getvalue().rstrip("\n")
    if flow:
        text = text.strip()
        if text.startswith("{") and text.endswith("}"):
            text = text[1:-1].strip()
    return text


def line_break(text: str) -> str:
    found = re.search(r"\r\n|\r|\n", text)
    return found.group(0) if found else "\n"


def _offset(lines: Lines, line: int, column: int) -> int:
    return lines.offset(line, column)


def _resolve_insert(edit: InsertKey, lines: Lines, brk: str) -> TextEdit | None:
    text = lines.text
    start = _offset(lines, edit.mapping.line, edit.mapping.column)
    end = _offset(lines, edit.mapping.end_line, edit.mapping.end_column)
    flow = text[start : start + 1] == "{"
    if flow:
        inner = _emit({edit.key: edit.value}, flow=True)
        if edit.before is None:
            if text[start:end].replace(" ", "") != "{}":
                return None
            return TextEdit(edit.mapping, "{" + inner + "}")
        return TextEdit(
            Span(edit.before.line, edit.before.column, edit.before.line, edit.before.column),
            inner + ", ",
        )
    if edit.before is None:
        return None  # an empty block mapping is written `{}` or null: no place for a key
    anchor = edit.before
    lead = lines.line(anchor.line)[: anchor.column - 1]
    if lead.strip(" ") not in ("", "-") and not re.fullmatch(r"[ ]*(- +)+", lead):
        return None  # the key does not start its line (after an item's dash): not a layout we edit
    block = _emit({edit.key: edit.value}, flow=False).split("\n")
    pad = " " * (anchor.column - 1)
    body = brk.join(block[:1] + [pad + line if line else line for line in block[1:]])
    point = Span(anchor.line, anchor.column, anchor.line, anchor.column)
    return TextEdit(point, body + brk + pad)


def _resolve_delete(edit: DeleteKey, lines: Lines) -> TextEdit | None:
    key, value = edit.key, edit.value
    lead = lines.line(key.line)[: key.column - 1]
    if lead.rstrip(" ").endswith(("{", ",")):
        return _delete_in_flow(edit, lines)
    if lead.strip(" "):
        return None  # the first key of a sequence item
    rest = lines.line(value.end_line)[value.end_column - 1 :]
    if rest.strip() and not rest.lstrip().startswith("#"):
        return None  # something else follows the value on its line
    span = Span(key.line, 1, value.end_line + 1, 1)
    if value.end_line >= len(lines.lines):
        # the last line of the file: delete up to its end (no line break after it)
        span = Span(key.line, 1, value.end_line, len(lines.line(value.end_line)) + 1)
    return TextEdit(span, "")


def _delete_in_flow(edit: DeleteKey, lines: Lines) -> TextEdit | None:
    """``a: 1, `` out of ``{a: 1, b: 2}`` (or ``, b: 2`` when it is the last entry)."""
    text = lines.text
    start = lines.offset(edit.key.line, edit.key.column)
    end = lines.offset(edit.value.end_line, edit.value.end_column)
    after = end
    while after < len(text) and text[after] in " \t":
        after += 1
    if after < len(text) and text[after] == ",":
        after += 1
        while after < len(text) and text[after] in " \t":
            after += 1
        return _span_edit(lines, start, after)
    before = start
    while before > 0 and text[before - 1] in " \t":
        before -= 1
    if before > 0 and text[before - 1] == ",":
        return _span_edit(lines, before - 1, end)
    return _span_edit(lines, start, end)  # the only entry: {a: 1} becomes {}


def _span_edit(lines: Lines, start: int, end: int) -> TextEdit:
    first = _position(lines, start)
    last = _position(lines, end)
    return TextEdit(Span(first[0], first[1], last[0], last[1]), "")


def text_edits(fix: Fix, text: str) -> list[TextEdit] | None:
    """The plain text edits of ``fix`` on ``text``, or None when one cannot be written."""
    from kpolicy.lsp.positions import Lines

    lines = Lines.of(text)
    brk = line_break(text)
    found: list[TextEdit] = []
    for edit in fix.edits:
        plain: TextEdit | None
        if isinstance(edit, TextEdit):
            plain = edit
        elif isinstance(edit, InsertKey):
            plain = _resolve_insert(edit, lines, brk)
        else:
            plain = _resolve_delete(edit, lines)
        if plain is None:
            return None
        found.append(plain)
    return found


# ---------------------------------------------------------------------------------------------
# Reading back


def documents_of(text: str, display: str = "<fix>") -> tuple[list[tuple[int, Any]], int]:
    """The documents' values (by index) and the number of syntax errors."""
    documents, diagnostics = load_documents(SourceFile(display, text))
    syntax = sum(1 for d in diagnostics if d.rule == "yaml-syntax")
    return [(d.index, d.value) for d in documents], syntax


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def expected_after(
    documents: list[tuple[int, Any]], changes: Sequence[Expect]
) -> list[tuple[int, Any]] | None:
    """``documents`` with ``changes`` made, or None when a change has no place in them."""
    import copy  # only where a fix is checked: not on a one-file run's path

    result = copy.deepcopy(documents)
    by_index = {index: position for position, (index, _) in enumerate(result)}
    for change in changes:
        position = by_index.get(change.doc)
        if position is None:
            return None
        tokens = [_unescape(t) for t in change.pointer.split("/")[1:]]
        if not tokens:
            return None
        node: Any = result[position][1]
        for token in tokens[:-1]:
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                return None
        last = tokens[-1]
        if isinstance(node, dict):
            if change.present:
                node[last] = copy.deepcopy(change.value)
            else:
                node.pop(last, None)
        elif isinstance(node, list) and last.isdigit() and int(last) < len(node):
            if not change.present:
                return None
            node[int(last)] = copy.deepcopy(change.value)
        else:
            return None
    return result


def _at(documents: list[tuple[int, Any]], doc: int, pointer: str) -> tuple[bool, Any]:
    node: Any = next((value for index, value in documents if index == doc), None)
    for token in (_unescape(t) for t in pointer.split("/")[1:]):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False, None
    return True, node


def _as_written(change: Expect, after: list[tuple[int, Any]]) -> Expect | None:
    """A ``quoted`` change as the string it now holds, when that string read unquoted is the
    old value (the same characters, only quoted); None when it is not."""
    if not change.quoted:
        return change
    found, value = _at(after, change.doc, change.pointer)
    if not found or not isinstance(value, str) or "\n" in value:
        return None
    plain = documents_of(f"- {value}\n")
    if plain[1] or plain[0] != [(0, [change.value])]:
        return None
    return Expect(change.doc, change.pointer, True, value)


def _try(text: str, fixes: Sequence[Fix], before: tuple[list[tuple[int, Any]], int]) -> str | None:
    edits: list[TextEdit] = []
    for fix in fixes:
        found = text_edits(fix, text)
        if found is None:
            return None
        edits.extend(found)
    from kpolicy.lsp.positions import apply_edits

    try:
        new_text = apply_edits(text, edits)
    except ValueError:
        return None  # overlapping edits
    if new_text == text:
        return None
    after = documents_of(new_text)
    changes = [_as_written(c, after[0]) for fix in fixes for c in fix.expect]
    if any(c is None for c in changes):
        return None
    wanted = expected_after(before[0], [c for c in changes if c is not None])
    if wanted is None or after is None or after[1] != before[1] or after[0] != wanted:
        return None
    return new_text


def apply_fixes(text: str, fixes: Sequence[Fix]) -> tuple[str, list[Fix]]:
    """``text`` with as many of ``fixes`` as can be applied together (in order, those that do
    not overlap one already taken), and the fixes applied. Fixes whose result does not read
    back as expected are left out."""
    before = documents_of(text)
    if before is None:
        return text, []
    taken: list[Fix] = []
    current = text
    # all together first (the common case: one read-back), else one by one
    together = _try(text, fixes, before)
    if together is not None:
        return together, list(fixes)
    for fix in fixes:
        attempt = _try(text, [*taken, fix], before)
        if attempt is not None:
            taken.append(fix)
            current = attempt
    return current, taken


def whole_change(old: str, new: str) -> TextEdit:
    """One edit that turns ``old`` into ``new``: the span between their common start and end."""
    start = 0
    limit = min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    end = 0
    while end < limit - start and old[len(old) - 1 - end] == new[len(new) - 1 - end]:
        end += 1
    from kpolicy.lsp.positions import Lines

    lines = Lines.of(old)
    first = _position(lines, start)
    last = _position(lines, len(old) - end)
    return TextEdit(Span(first[0], first[1], last[0], last[1]), new[start : len(new) - end])


def _position(lines: Lines, offset: int) -> tuple[int, int]:
    """The 1-based line and column of a character offset."""
    line = bisect.bisect_right(lines.starts, offset)
    return line, offset - lines.starts[line - 1] + 1
