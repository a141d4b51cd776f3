"""Plain data passed between the pipeline stages.

Positions are 1-based everywhere outside the language server. A span's ``end_column`` is
exclusive (the column just after the last character), as in SARIF and LSP.
"""

from __future__ import annotations

import math
from enum import StrEnum
from functools import cache
from operator import attrgetter, is_

from kpolicy.discover import Skipped as Skipped  # a report's data, defined beside the walk
from kpolicy.records import field, open_twin, record, record_slots, slot_maker

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any, Literal

    from kpolicy.positions import PositionTable

PathPart = str | int
Path = tuple[PathPart, ...]
if TYPE_CHECKING:
    Anchor = Literal["auto", "key", "value"]
else:
    Anchor = str  # typing is not imported at run time (kpolicy.hints)


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self.value]

    @classmethod
    def parse(cls, value: str) -> Severity:
        return cls(value.lower())


_RANK = {"error": 3, "warning": 2, "info": 1}


@record(frozen=True, slots=True)
class Span:
    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def point(cls, line: int, column: int) -> Span:
        return cls(line, column, line, column + 1)


@record(frozen=True, slots=True)
class ObjectRef:
    api_version: str | None
    kind: str | None
    namespace: str | None
    name: str | None

    def to_json(self) -> dict[str, str | None]:
        return {
            "apiVersion": self.api_version,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
        }

    def label(self) -> str:
        name = self.name or "<unnamed>"
        if self.namespace:
            name = f"{self.namespace}/{name}"
        return f"{self.kind or '<no kind>'} {name}"


def escape_pointer_token(token: PathPart) -> str:
    text = str(token)
    if "~" in text or "/" in text:
        text = text.replace("~", "~0").replace("/", "~1")
    return text


# "/%s" once per token, by the number of tokens: a path's tokens as ``str`` writes each, in
# one call (a list of them joined cost twice as much, and this runs once or twice a finding)
_POINTER_FORMATS: tuple[str, ...] = tuple("/%s" * count for count in range(33))


def to_pointer(path: Path) -> str:
    # a path seen before, of the very same tokens (``is``: identical tokens are written alike;
    # a token that only equals one, True for 1 or a str subclass, is not taken for it): its
    # pointer. The paths of a run's findings repeat across its objects (the many-findings
    # corpus's 10,474 findings have 1,037 paths), and their tokens are the loader's keys
    # (interned), the checks' literals and small ints, the same objects each time
    if path.__class__ is tuple:
        try:
            found = _POINTERS.get(path)
        except TypeError:  # an unhashable token
            return _pointer(path)
        if found is not None and (found[1] is path or all(map(is_, found[1], path))):
            return found[0]
        pointer = _pointer(path)
        if len(_POINTERS) >= _POINTERS_KEPT:
            _POINTERS.clear()
        _POINTERS[path] = (pointer, path)
        return pointer
    return _pointer(path)


# path → (its pointer, the path it was made from), at most _POINTERS_KEPT of them (emptied
# when full)
_POINTERS: dict[Path, tuple[str, Path]] = {}
_POINTERS_KEPT = 16_384


def _pointer(path: Path) -> str:
    """The pointer of ``path``, made from its tokens (:func:`to_pointer` without the memo):
    in C where the extension is built, for a path of plain tokens (nearly every one)."""
    count = len(path)
    fast = _c_pointer()
    if fast is not None:
        made = fast(path)
        if made is not None:
            return made
    if path.__class__ is tuple and count < len(_POINTER_FORMATS):
        joined = _POINTER_FORMATS[count] % path
        # a token with "~" or "/" is escaped (RFC 6901); the others, which are nearly all,
        # are written as they are
        if "~" not in joined and joined.count("/") == count:
            return joined
    return "".join("/" + escape_pointer_token(token) for token in path)


@cache
def _c_pointer() -> Callable[[Path], str | None] | None:
    """The C extension's ``path_pointer`` (:func:`_pointer` of a tuple of plain tokens, None
    of any other), None where it is not built or KPOLICY_PURE_PYTHON is set."""
    import os

    if os.environ.get("KPOLICY_PURE_PYTHON"):
        return None
    try:
        from kpolicy import _cload  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return None
    made: Callable[[Path], str | None] | None = getattr(_cload, "path_pointer", None)
    return made


@record(frozen=True, slots=True)
class SourceFile:
    """One input: ``display`` is the path as the user gave it (relative), used in reports."""

    display: str
    text: str
    context_only: bool = False


@record(eq=False, slots=True)
class KObject:
    """One Kubernetes object: a YAML document, or one item of a ``kind: List``."""

    data: dict[str, Any]
    ref: ObjectRef
    source: SourceFile
    doc_index: int
    base: str  # pointer of the object inside its document: "" or "/items/3"
    positions: PositionTable
    # the Helm template it was rendered from (its ``# Source:`` comment), if any
    template: str | None = None
    # a kustomize patch (named as one by a kustomization, or holding a strategic-merge
    # directive): merged onto another object, never applied on its own
    patch: bool = False
    # ``data`` is what the loader built, which schema.instance.is_plain_tree would accept:
    # dicts with string keys, lists and JSON scalars, each built once (an alias is built again
    # where it is used), within its node and depth bounds (the loader's limits are below
    # them); the schema check then need not walk it to know. Whatever replaces ``data`` with
    # another value says plain=False (lint.inputs) or makes one that is not a dict (lint.run)
    plain: bool = False

    @property
    def kind(self) -> str:
        return self.ref.kind or ""

    @property
    def namespace(self) -> str:
        """The effective namespace: ``default`` when the manifest leaves it out."""
        return self.ref.namespace or "default"

    @property
    def name(self) -> str:
        return self.ref.name or ""

    @property
    def context_only(self) -> bool:
        return self.source.context_only

    def span(self, path: Path, anchor: Anchor = "auto") -> Span:
        span = self.positions.path_span(self.base, self.data, path, anchor)
        if span is None:
            return self.span_at(to_pointer(path), anchor)
        return span

    def span_at_path(self, path: Path, pointer: str, anchor: Anchor = "auto") -> Span:
        """:meth:`span_at` of ``pointer``, the pointer of ``path``: found by walking the
        object's value along ``path`` where the table can (see
        :meth:`kpolicy.positions.PositionTable.path_span`), else by ``pointer``."""
        span = self.positions.path_span(self.base, self.data, path, anchor)
        if span is None:
            return self.span_at(pointer, anchor)
        return span

    def span_at(self, pointer: str, anchor: Anchor = "auto") -> Span:
        """:meth:`span` of the path whose pointer (from the object) is ``pointer``."""
        span, found = self.positions.resolve(self.base + pointer, anchor)
        if found == self.base and pointer:
            # nothing of the path exists below the object's root: point at its kind
            return self.positions.resolve(self.base + "/kind", "value")[0]
        return span

    def __reduce__(self) -> tuple[type[KObject], tuple[object, ...]]:
        # pickled as the call of the class with its fields (a worker's objects travel to the
        # parent, lint.run): a quarter fewer instructions to pickle than the state dict of
        # the slots that pickle makes by default, and fewer to unpickle
        return KObject, (
            self.data,
            self.ref,
            self.source,
            self.doc_index,
            self.base,
            self.positions,
            self.template,
            self.patch,
            self.plain,
        )


@record(frozen=True, slots=True)
class TextEdit:
    """A replacement of the text between two 1-based positions (end exclusive)."""

    span: Span
    new_text: str


@record(frozen=True, slots=True)
class InsertKey:
    """Insert ``key: value`` into the mapping whose value spans ``mapping``, before the key at
    ``before`` (a child key's span; None: the mapping is empty). The text is written at fix
    time, when the file's layout (block or flow, indentation, line breaks) is known."""

    mapping: Span
    before: Span | None
    key: str
    value: Any


@record(frozen=True, slots=True)
class DeleteKey:
    """Delete a key and its value (the lines they take in a block mapping)."""

    key: Span
    value: Span


Edit = TextEdit | InsertKey | DeleteKey
if TYPE_CHECKING:
    Applicability = Literal["safe", "unsafe", "display-only"]
else:
    Applicability = str  # typing is not imported at run time (kpolicy.hints)


@record(frozen=True, slots=True)
class Expect:
    """What a fix does to the data of document ``doc``: ``pointer`` (from the document root)
    holds ``value`` afterwards, or is gone when ``present`` is False. A fixed file is read back
    and must equal the old one with exactly these changes."""

    doc: int
    pointer: str
    present: bool = True
    value: Any = None
    # the pointer holds a string that, read unquoted, is ``value`` (a scalar's own text quoted)
    quoted: bool = False


@record(frozen=True, slots=True)
class Fix:
    """Edits of the text of ``file`` (None: the finding's own file); ``applicability`` safe
    (the object means the same to the API server, or is only made valid) or unsafe (it changes
    behaviour, which the description says)."""

    description: str
    edits: tuple[Edit, ...]
    applicability: Applicability = "safe"
    file: str | None = None
    expect: tuple[Expect, ...] = ()


@record(frozen=True, slots=True)
class Related:
    """Another object's place that a finding involves (SARIF relatedLocations)."""

    obj: KObject
    path: Path
    message: str
    anchor: Anchor = "auto"


@record(frozen=True, slots=True)
class Problem:
    """What a rule yields: where (relative to the object) and what, nothing more."""

    path: Path
    message: str
    anchor: Anchor = "auto"
    related: tuple[Related, ...] = ()
    fix: Fix | None = None
    rule: str | None = None  # set by a check that reports several rule ids (schema-*)
    # whether the API server refuses the object as written (the plan then plans nothing);
    # None: the rule's ``rejects`` (rules/<id>.yaml). A finding of a rejecting rule that the
    # API server accepts for the selected version (a StatefulSet's pod template before 1.34)
    # says False.
    rejects: bool | None = None


@record(frozen=True, slots=True)
class RelatedLocation:
    file: str
    span: Span
    message: str
    object: ObjectRef | None


if TYPE_CHECKING:
    SuppressionKind = Literal["comment", "annotation", "exemption", "baseline"]
else:
    SuppressionKind = str  # typing is not imported at run time (kpolicy.hints)


@record(frozen=True, slots=True)
class Suppression:
    """What hid a finding: a ``# kpolicy: ignore`` comment or a ``kpolicy.io/ignore``
    annotation (in the source), a config exemption or the baseline (outside it), and the
    reason given with it."""

    kind: SuppressionKind
    justification: str | None = None

    @property
    def in_source(self) -> bool:
        return self.kind in ("comment", "annotation")


@record(frozen=True, slots=True)
class Origin:
    """Where a finding on rendered output comes from: the template ``file`` as its ``# Source:``
    comment names it, the ``line`` there (1 when the key cannot be found unambiguously), and
    ``local``, that template's path under the working folder when it exists there."""

    file: str
    line: int
    local: str | None = None

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"file": self.file, "line": self.line}
        if self.local is not None:
            found["localFile"] = self.local
        return found


# the order of the report: file, line, column, rule, message (Diagnostic.sort_key); read in C,
# with no Python call a finding, where the findings of a run are sorted
SORT_KEY = attrgetter("file", "span.line", "span.column", "rule", "message")


@record(frozen=True, slots=True)
class Diagnostic:
    rule: str
    severity: Severity
    message: str
    file: str
    span: Span
    path: str
    object: ObjectRef | None
    related: tuple[RelatedLocation, ...] = ()
    fix: Fix | None = None
    suppression: Suppression | None = None
    rejects: bool = False  # the API server refuses the object (see Problem.rejects)
    origin: Origin | None = None
    # (file, JSON path) where the rule found it, when it is shown elsewhere (a --context
    # object's finding, shown on the reported file it relates to): what a baseline lists
    found_at: tuple[str, str] | None = None

    @property
    def suppressed(self) -> bool:
        return self.suppression is not None

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        return SORT_KEY(self)

    def to_json(self) -> dict[str, Any]:
        found = {
            "rule": self.rule,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.file,
            "line": self.span.line,
            "column": self.span.column,
            "endLine": self.span.end_line,
            "endColumn": self.span.end_column,
            "path": self.path,
            "object": self.object.to_json() if self.object else None,
        }
        if self.origin is not None:
            found["origin"] = self.origin.to_json()
        return found


def diagnostic(
    rule: str,
    severity: Severity,
    message: str,
    file: str,
    span: Span,
    path: str,
    object: ObjectRef | None,
    related: tuple[RelatedLocation, ...],
    fix: Fix | None,
    suppression: Suppression | None,
    rejects: bool,
    origin: Origin | None = None,
    found_at: tuple[str, str] | None = None,
) -> Diagnostic:
    """``Diagnostic(rule, ..., found_at)`` (by default no origin, not found elsewhere), made
    on the record's open twin (every field set, then the class switched once): the same record
    for two thirds of the instructions of the class's call, whose ``__init__`` switches the
    class twice. For the loops that make a finding each (tests/test_engine_fast_paths.py)."""
    diag = _new(_OPEN_DIAGNOSTIC)
    diag.rule = rule
    diag.severity = severity
    diag.message = message
    diag.file = file
    diag.span = span
    diag.path = path
    diag.object = object
    diag.related = related
    diag.fix = fix
    diag.suppression = suppression
    diag.rejects = rejects
    diag.origin = origin
    diag.found_at = found_at
    diag.__class__ = Diagnostic
    return diag  # type: ignore[no-any-return]


@cache
def diagnostic_maker() -> Callable[..., Diagnostic]:
    """What makes a finding's Diagnostic of all its fields, in their order: the C extension's
    maker (:func:`kpolicy.records.slot_maker`, a quarter of the instructions of the open
    twin's fourteen attribute writes and class switch) where it is built, else
    :func:`diagnostic`. The engine's and the schema check's loops make their findings with it."""
    maker = slot_maker(Diagnostic)
    return diagnostic if maker is None else maker


# Diagnostic's open twin (kpolicy.records.open_twin): a Diagnostic made as an instance of
# it, every field set, then made a Diagnostic, is the one ``Diagnostic(...)`` makes (it has
# no __post_init__: tests/test_engine_fast_paths.py holds it)
_OPEN_DIAGNOSTIC: Any = open_twin(Diagnostic)
_new = object.__new__


@record(frozen=True, slots=True)
class Directive:
    """A ``# kpolicy: ignore[a,b] -- reason`` comment: where it is (the span of the comment up
    to the reason), the line it covers, the rule ids it names ("all" for every rule) as
    written, and the reason after ``--``."""

    line: int
    column: int
    end_column: int
    target: int
    ids: tuple[str, ...]
    reason: str | None = None

    @property
    def span(self) -> Span:
        return Span(self.line, self.column, self.line, self.end_column)

    def covers(self, rule: str) -> bool:
        return rule in self.ids or "all" in self.ids


@record(frozen=True, slots=True)
class LoadedFile:
    source: SourceFile
    objects: tuple[KObject, ...]
    diagnostics: tuple[Diagnostic, ...]
    documents: int
    directives: dict[int, tuple[Directive, ...]]  # covered line → the comments that cover it
    # some document is a Kubernetes object, or tries to be one (or the file does not parse);
    # a file that is not is skipped, not reported
    manifest_like: bool = True
    # why a file that is not manifest-like is not (for --show-skipped)
    not_manifest: str = ""
    annotated: bool = False  # the text names the kpolicy.io/ignore annotation somewhere


@record(frozen=True, slots=True)
class Summary:
    files: int
    documents: int
    objects: int
    errors: int
    warnings: int
    infos: int
    suppressed: int
    skipped: int = 0
    baselined: int = 0
    fixed_baseline_entries: int | None = None  # None: no baseline in use

    def to_json(self) -> dict[str, int]:
        data = {
            "files": self.files,
            "documents": self.documents,
            "objects": self.objects,
            "errors": self.errors,
            "warnings": self.warnings,
            "infos": self.infos,
            "suppressed": self.suppressed,
            "skipped": self.skipped,
        }
        if self.fixed_baseline_entries is not None:
            data["baselined"] = self.baselined
            data["fixedBaselineEntries"] = self.fixed_baseline_entries
        return data


@record(frozen=True, slots=True)
class BaselineEntry:
    """One finding of a baseline file. ``file`` is relative to the baseline's folder, with
    ``/``; ``object`` is (kind, namespace, name) as the manifest gives them."""

    rule: str
    file: str
    object: tuple[str | None, str | None, str | None] | None
    path: str
    message: str

    def label(self) -> str:
        where = f"{self.file}: {self.rule}"
        if self.object is not None:
            kind, namespace, name = self.object
            ref = ObjectRef(None, kind, namespace, name)
            where += f" ({ref.label()})"
        return f"{where} {self.message}"


@record(frozen=True, slots=True)
class CheckedFile:
    """A file that was reported on and the objects it holds, in file order (the reports that
    list what passed too: a JUnit test case per object, a checkstyle ``<file>`` per file)."""

    file: str
    objects: tuple[ObjectRef, ...]


@record(frozen=True, slots=True)
class LintResult:
    diagnostics: tuple[Diagnostic, ...]  # unsuppressed, sorted
    suppressed: tuple[Diagnostic, ...]
    summary: Summary
    kubernetes_version: str
    errors: tuple[str, ...] = ()  # one-line I/O errors (exit code 2)
    skipped: tuple[Skipped, ...] = ()  # files not linted, and why
    # one-line notes for stderr (nothing found to lint, an expired exemption, ...)
    warnings: tuple[str, ...] = ()
    # files read besides the inputs (kustomizations, charts, templates, ignore files): what
    # the run cache must watch too
    read_also: tuple[str, ...] = ()
    baselined: tuple[Diagnostic, ...] = ()  # unsuppressed findings the baseline lists, sorted
    fixed_baseline: tuple[BaselineEntry, ...] = ()  # baseline entries that match no finding
    baseline_file: str | None = None  # the baseline in use, as given
    checked: tuple[CheckedFile, ...] = ()  # every reported file, in the order they were read
    # findings' lines of the JSON report, rendered by the workers that found them: the
    # findings they were rendered for (``diagnostics`` when they still stand, the very tuple
    # or its findings one by one), and for each its line, or the finding itself where no
    # worker rendered that very object (changed after, by a deferred check, a template's
    # origin or a new severity, or found in the parent): rendered when written
    lines: tuple[tuple[Diagnostic, ...], Sequence[str | Diagnostic]] | None = field(
        default=None, compare=False, repr=False
    )


_HUGE = 2**62


@record(frozen=True, slots=True)
class Limits:
    """Resource bounds for hostile input (documented in README "Limits")."""

    max_file_bytes: int = 16 * 1024 * 1024
    max_nodes: int = (
        1_000_000  # per document, keys included, counting every node an alias expands to
    )
    max_depth: int = 256
    # per file as well: what aliases add to the documents of one file, in all (many small alias
    # bombs, each under max_nodes, must not add up); per run: the bytes of every file read
    max_run_bytes: int = 256 * 1024 * 1024

    def __post_init__(self) -> None:
        # whole numbers from 0 to 2**62: a config's 1e23 (go-yaml reads an int beyond uint64 as
        # a float) or a negative --max-file-size must not reach file.read() or range()
        for name in ("max_file_bytes", "max_nodes", "max_depth", "max_run_bytes"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= _HUGE:
                number = float(value) if isinstance(value, int | float) else 0.0
                clamped = _HUGE if math.isnan(number) or number > _HUGE else max(0, int(number))
                object.__setattr__(self, name, clamped)


@cache
def sort_key() -> Callable[[Diagnostic], tuple[Any, ...]]:
    """:data:`SORT_KEY` read from a Diagnostic's slots by the C extension
    (``kpolicy._cload.sort_key``: the same tuple, of anything else SORT_KEY's own), where it
    is built and KPOLICY_PURE_PYTHON is not set; else SORT_KEY. Made when first asked (the
    workers sort each object's findings with it), not as this module is imported."""
    import os

    if os.environ.get("KPOLICY_PURE_PYTHON"):
        return SORT_KEY
    slots = record_slots(Diagnostic)
    try:
        from kpolicy import _cload  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return SORT_KEY
    setup = getattr(_cload, "sort_key_class", None)
    span_class = getattr(_cload, "span_class", None)
    if (
        slots is None
        or setup is None
        or span_class is None
        or not span_class(Span)
        or not setup(slots, SORT_KEY)
    ):
        return SORT_KEY
    made: Callable[[Diagnostic], tuple[Any, ...]] = _cload.sort_key
    return made


def sort_findings(found: list[Diagnostic]) -> None:
    """``found.sort(key=SORT_KEY)``: in C where the extension is built
    (``kpolicy._cload.sort_findings``: the fields of each finding compared in place, without
    a key tuple each, which were most of the sort's instructions), else, or where a finding
    is not of the types it reads, by :func:`sort_key`."""
    key = sort_key()
    fast = _c_sort() if key is not SORT_KEY else None
    if fast is None or not fast(found):
        found.sort(key=key)


@cache
def _c_sort() -> Callable[[list[Diagnostic]], bool] | None:
    """The C extension's ``sort_findings`` (set up by :func:`sort_key`), None where it is not
    built."""
    from kpolicy import _cload  # type: ignore[attr-defined,unused-ignore]

    made: Callable[[list[Diagnostic]], bool] | None = getattr(_cload, "sort_findings", None)
    return made
