"""The JSON report described by ``schemas/report.schema.json``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from json.encoder import encode_basestring_ascii
from operator import is_

from kpolicy import escape
from kpolicy.hints import cast
from kpolicy.model import Diagnostic, LintResult, ObjectRef, Severity, Span
from kpolicy.records import record_slots
from kpolicy.report import EncodedLines, ReportContext, json_encoder, write_json_lines

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Final, TextIO


def _diagnostic(diag: Diagnostic) -> dict[str, Any]:
    """A finding as JSON; its message and file name escaped as in the text format (the object's
    fields stay exact: JSON escapes them, and the output is ASCII)."""
    data: dict[str, Any] = diag.to_json()
    data["message"] = escape.text(diag.message)
    data["file"] = escape.text(diag.file)
    if diag.origin is not None:
        data["origin"]["file"] = escape.text(diag.origin.file)
        if diag.origin.local is not None:
            data["origin"]["localFile"] = escape.text(diag.origin.local)
    return data


# the most messages, and paths, whose JSON a writer keeps (see _Lines)
_KEPT: Final = 65_536
# the largest line or column number whose text a writer keeps, plus one (see _Lines)
_NUMBERS: Final = 1 << 16
# the characters that JSON writes as they are (ensure_ascii): those of printable ASCII but
# quotes and backslashes
_PLAIN: Final = bytes(c for c in range(0x20, 0x7F) if c not in b'"\\')
# a severity's JSON (Enum.value is a descriptor call each time)
_SEVERITIES: Final = {severity: encode_basestring_ascii(severity.value) for severity in Severity}
_string: Final = encode_basestring_ascii


class _Lines:
    """Each finding's line of the report, as ``write_json_lines`` would encode
    ``_diagnostic(diag)``, written directly: a finding costs a few string joins instead of a
    dict and its encoding. The object of the finding is encoded once per object, a file name
    once per file, and anything but the usual types (an origin, a value that is not a str or
    an int) is encoded the general way."""

    def __init__(self) -> None:
        self._encode: Callable[[object], str] = json_encoder()
        self._objects: dict[int, tuple[object, str]] = {}
        self._files: dict[str, str] = {}
        # a rule id → (a severity, the line's text before the message with them): a run's
        # findings are of a few dozen rules
        self._heads: dict[str, tuple[object, str]] = {}
        # the last finding's object and file, and their JSON (the findings of an object come
        # one after another)
        self._last: tuple[object, object, str, str] = (self, self, "", "")
        # a message's JSON (as the text format escapes it), a path's: a run's findings have a
        # few distinct ones (the many-findings corpus's 10,474 have 2,031 messages and 1,037
        # paths), each encoded once; emptied when one grows past _KEPT
        self._messages: dict[str, str] = {}
        self._paths: dict[str, str] = {}
        # the text of each number from 0 as far as a line or column has needed (an int
        # written costs five times a list's item; the Python loop's: the C loop writes the
        # digits itself)
        self._numbers: list[str] = []

    def __call__(self, diag: Diagnostic) -> str:
        """The line of one finding: :meth:`lines` of it alone (the writers and the workers
        render a slice of findings at a time)."""
        return self.lines((diag,))[0]

    def lines(self, diags: Sequence[Diagnostic]) -> list[str]:
        """The line of each of ``diags`` in the JSON report, as :func:`_diagnostic` encoded on
        one line gives it: :meth:`_lines`, in C where the extension is built (the same calls
        of this renderer's methods but ``_more``: it writes a line's numbers itself, without
        the texts kept of them; the same lines; a finding's line cost a worker ~0.7 µs in
        Python)."""
        fast = _c_lines()
        if fast is not None:
            written: list[str] = fast[0](diags, self, fast[1], _KEPT)
            return written
        return self._lines(diags)

    def _one(self, diag: Diagnostic) -> str:
        """The line of one finding the C loop leaves to Python (not of the usual types, or no
        head of its own)."""
        return self._lines((diag,))[0]

    def _lines(self, diags: Sequence[Diagnostic]) -> list[str]:
        """:meth:`lines` in Python, in one loop (a call a finding was a tenth of its line)."""
        heads, messages, paths = self._heads, self._messages, self._paths
        last = self._last
        numbers = self._numbers
        count = len(numbers)
        written: list[str] = []
        for diag in diags:
            span, ref, file = diag.span, diag.object, diag.file
            line, column = span.line, span.column
            end_line, end_column = span.end_line, span.end_column
            rule, message, path = diag.rule, diag.message, diag.path
            head = heads.get(rule)
            if head is None or head[0] is not diag.severity:
                head = self._head(rule, diag.severity)
            if (
                head is None
                or diag.origin is not None
                or not (line.__class__ is column.__class__ is int)
                or not (end_line.__class__ is end_column.__class__ is int)
                or not (path.__class__ is message.__class__ is str)
                # (the file of the finding before is one already: findings of a file and
                # object come one after another, and reading a class is not cheap)
                or (last[1] is not file and file.__class__ is not str)
            ):
                written.append(self._encode(_diagnostic(diag)))
                continue
            if last[0] is not ref or last[1] is not file:
                last = self._last = (
                    ref,
                    file,
                    # (another object of the same file: its text as it was)
                    last[2] if last[1] is file else f', "file": {self._file(file)}, "line": ',
                    f', "object": {self._object(ref)}}}',
                )
            said = messages.get(message)
            if said is None:
                said = self._message(message)
                messages = self._messages  # (emptied and made again when full)
            at = paths.get(path)
            if at is None:
                at = self._path(path)
                paths = self._paths
            if not (
                0 <= line < count
                and 0 <= column < count
                and 0 <= end_line < count
                and 0 <= end_column < count
            ):
                more = self._more(line, column, end_line, end_column)
                if more is None:  # a number past _NUMBERS: written as it is
                    written.append(
                        f'{head[1]}{said}{last[2]}{line}, "column": {column}, '
                        f'"endLine": {end_line}, "endColumn": {end_column}, "path": {at}{last[3]}'
                    )
                    continue
                numbers = more
                count = len(numbers)
            written.append(
                f'{head[1]}{said}{last[2]}{numbers[line]}, "column": {numbers[column]}, '
                f'"endLine": {numbers[end_line]}, "endColumn": {numbers[end_column]}, '
                f'"path": {at}{last[3]}'
            )
        return written

    def _more(self, line: int, column: int, end_line: int, end_column: int) -> list[str] | None:
        """The texts of the numbers from 0 to at least the largest of these (twice as many as
        before, at least: a run's lines grow file by file), None when one is negative or not
        below _NUMBERS."""
        largest = max(line, column, end_line, end_column)
        if min(line, column, end_line, end_column) < 0 or largest >= _NUMBERS:
            return None
        numbers = self._numbers
        count = len(numbers)
        numbers.extend(map(str, range(count, min(max(largest + 1, 2 * count, 128), _NUMBERS))))
        return numbers

    def _message(self, message: str) -> str:
        messages = self._messages
        if len(messages) >= _KEPT:
            messages.clear()
        if message.isascii() and not message.encode().translate(None, _PLAIN):
            # (nearly every one) JSON writes it as it is, between quotes: no control character
            # and no DEL, which escape.text would escape. Told at half the cost of its JSON (a
            # run's messages are hundreds of kilobytes)
            encoded = f'"{message}"'
        else:
            encoded = encode_basestring_ascii(escape.text(message))
        messages[message] = encoded
        return encoded

    def _path(self, path: str) -> str:
        paths = self._paths
        if len(paths) >= _KEPT:
            paths.clear()
        encoded = paths[path] = encode_basestring_ascii(path)
        return encoded

    def _file(self, file: str) -> str:
        encoded = self._files.get(file)
        if encoded is None:
            encoded = self._files[file] = encode_basestring_ascii(escape.text(file))
        return encoded

    def _object(self, ref: ObjectRef | None) -> str:
        if ref is None:
            return "null"
        known = self._objects.get(id(ref))
        if known is None or known[0] is not ref:
            known = self._objects[id(ref)] = (ref, _object_json(ref) or self._encode(ref.to_json()))
        return known[1]

    def _head(self, rule: object, severity: object) -> tuple[object, str] | None:
        """The text of a line before its message, for a rule id and severity of the usual
        types (else None: the line is encoded the general way)."""
        encoded = _SEVERITIES.get(severity)  # type: ignore[call-overload]
        if encoded is None or rule.__class__ is not str:
            return None
        head = (
            severity,
            f'{{"rule": {encode_basestring_ascii(rule)}, "severity": {encoded}, "message": ',
        )
        self._heads[rule] = head
        return head


@cache
def _c_lines() -> tuple[Callable[..., list[str]], tuple[object, ...]] | None:
    """The C extension's ``json_lines`` (:meth:`_Lines._lines`'s loop) and Diagnostic's slots,
    which it reads; None where the extension (or the function) is not built,
    KPOLICY_PURE_PYTHON is set, or Diagnostic or Span is not a record of slots it reads."""
    slots = record_slots(Diagnostic)
    if slots is None:
        return None
    from kpolicy import _cload  # type: ignore[attr-defined,unused-ignore]

    lines = getattr(_cload, "json_lines", None)
    span_class = getattr(_cload, "span_class", None)
    if lines is None or span_class is None or not span_class(Span):
        return None
    return lines, slots


def _object_json(ref: ObjectRef) -> str | None:
    """``ref.to_json()`` as the encoder writes it on one line, for an ObjectRef whose fields
    are each a str or None (every one the loaders make), without the dict and the encoder's
    call (a third of a worker's rendering of a file's findings); else None."""
    if ref.__class__ is not ObjectRef:
        return None
    api_version, kind, namespace, name = ref.api_version, ref.kind, ref.namespace, ref.name
    if not (
        (api_version is None or api_version.__class__ is str)
        and (kind is None or kind.__class__ is str)
        and (namespace is None or namespace.__class__ is str)
        and (name is None or name.__class__ is str)
    ):
        return None
    return (
        f'{{"apiVersion": {"null" if api_version is None else _string(api_version)}, '
        f'"kind": {"null" if kind is None else _string(kind)}, '
        f'"namespace": {"null" if namespace is None else _string(namespace)}, '
        f'"name": {"null" if name is None else _string(name)}}}'
    )


def finding_lines() -> Callable[[Sequence[Diagnostic]], list[str]]:
    """The lines of findings in the JSON report, as :func:`write` writes them (a worker
    renders its findings' lines with it: :attr:`kpolicy.lint.LintOptions.json_lines`)."""
    return _Lines().lines


def _given_lines(result: LintResult) -> Sequence[str | Diagnostic] | None:
    """The findings' lines the workers rendered (:attr:`LintResult.lines`), each finding's
    at its place, where they are for the result's very findings (else None)."""
    given = result.lines
    if given is None:
        return None
    diags, lines = given
    found = result.diagnostics
    if len(lines) != len(found) or len(diags) != len(found):
        return None
    if diags is not found and not all(map(is_, diags, found)):
        return None
    return lines


def to_json(result: LintResult, ctx: ReportContext, *, encoded: bool = False) -> dict[str, Any]:
    """The report; ``encoded``: the findings already encoded, one a line (for
    ``write_json_lines``), those rendered by the workers as they rendered them."""
    diagnostics: object
    if encoded:
        renderer = _Lines()
        given = _given_lines(result)
        if given is None:  # every line rendered here, a slice at a time
            diagnostics = EncodedLines(result.diagnostics, renderer, renderer.lines)
        else:
            diagnostics = EncodedLines(given, renderer, _completed(renderer.lines), texts=True)
    else:
        diagnostics = [_diagnostic(d) for d in result.diagnostics]
    report: dict[str, Any] = {
        "version": 1,
        "tool": {"name": "kpolicy", "version": ctx.tool_version},
        "kubernetesVersion": result.kubernetes_version,
        "diagnostics": diagnostics,
        "summary": result.summary.to_json(),
    }
    if ctx.show_suppressed:
        report["suppressed"] = [_hidden(d) for d in result.suppressed]
        if result.baseline_file is not None:
            report["baselined"] = [_hidden(d) for d in result.baselined]
    if result.baseline_file is not None:
        report["baseline"] = escape.text(result.baseline_file)
    if ctx.show_skipped:
        report["skipped"] = [
            {**item.to_json(), "file": escape.text(item.file), "reason": escape.text(item.reason)}
            for item in result.skipped
        ]
    if result.errors:
        report["errors"] = [escape.text(error) for error in result.errors]
    if result.warnings:
        report["warnings"] = [escape.text(warning) for warning in result.warnings]
    return report


def _completed(
    render: Callable[[Sequence[Diagnostic]], list[str]],
) -> Callable[[Sequence[str | Diagnostic]], list[str]]:
    """The lines of a slice of :attr:`LintResult.lines`: a line as it is, a finding rendered
    (those of a slice in one call of ``render``)."""

    def complete(part: Sequence[str | Diagnostic]) -> list[str]:
        missing = [item for item in part if item.__class__ is not str]
        if not missing:
            return cast("list[str]", part)  # a slice of a list
        made = iter(render(cast("list[Diagnostic]", missing)))
        return [item if item.__class__ is str else next(made) for item in part]

    return complete


def _hidden(diag: Diagnostic) -> dict[str, Any]:
    """A suppressed or baselined finding: what hid it (``suppressedBy``: comment, annotation,
    exemption or baseline) and the reason given with it (``justification``)."""
    data = _diagnostic(diag)
    if diag.suppression is not None:
        data["suppressedBy"] = diag.suppression.kind
        if diag.suppression.justification:
            data["justification"] = escape.text(diag.suppression.justification)
    return data


def write(result: LintResult, ctx: ReportContext, out: TextIO) -> None:
    # one finding per line: the top level and its lists laid out, each member on one line
    write_json_lines(to_json(result, ctx, encoded=True), out, expand=2)
