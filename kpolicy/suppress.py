"""Suppression: object annotations, ``# kpolicy: ignore[...]`` comments, config exemptions;
and the inline suppressions that suppressed nothing (the ``unused-suppression`` rule).

A :class:`Suppressor` sees the findings of one file. For each it says what hides it (the first
of: an annotation of the object or of its pod template, a comment on the finding's line, a
config exemption), and it remembers which comment and annotation hid which rule, so that once
every rule has run on the file it can report those that hid nothing.

Only what was judged is called unused: an id names a rule that ran on the object or line the
suppression covers. A rule that is off, not selected (``--select``/``--ignore``, as pre-commit
may run a subset), or that failed (``internal-error``) says nothing about a suppression of it;
``ignore`` without a list (every rule) is judged only when the command line did not narrow the
rules; a comment outside every object is judged only in a file that loaded whole (no loader
error: a broken document's objects were never checked).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence

from kpolicy.config import Exemption
from kpolicy.lazyre import lazy_compile
from kpolicy.model import (
    Diagnostic,
    Directive,
    KObject,
    LoadedFile,
    ObjectRef,
    Path,
    Severity,
    Suppression,
    to_pointer,
)
from kpolicy.records import record
from kpolicy.workload import get, pod_template
from kpolicy.yamltext import document_chunks

TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import date

ANNOTATION = "kpolicy.io/ignore"
UNUSED_SUPPRESSION = "unused-suppression"
INTERNAL_ERROR = "internal-error"
ALL = "all"
# loader findings: where one is an error, part of the file was never checked by the rules
_LOADER_ERRORS = frozenset({"yaml-syntax", "manifest-invalid"})
# `# kpolicy: ignore[a,b] -- reason`: the directive itself (head), its list and the reason
_DIRECTIVE = lazy_compile(
    r"(?P<head>#\s*kpolicy:\s*ignore(?:\[(?P<ids>[^\]\n]*)\])?)(?:[ \t]*--[ \t]*(?P<reason>[^\r\n]*))?"
)


def read_directives(text: str) -> dict[int, tuple[Directive, ...]]:
    """``# kpolicy: ignore[a,b] -- reason`` comments, by the line they cover: a trailing
    comment covers its own line, a comment alone on a line covers the next line.

    Only a YAML comment counts: the same text inside a quoted or plain scalar or a block scalar
    (a script) is data, and honouring it would be a hidden way to suppress. The parts of a file
    that hold the marker are scanned for tokens (files without it cost one substring test).
    """
    if "kpolicy:" not in text:
        return {}
    directives: dict[int, list[Directive]] = {}
    for line_offset, chunk in document_chunks(text):
        if "kpolicy:" not in chunk:
            continue
        matches = list(_DIRECTIVE.finditer(chunk))
        if not matches:
            continue
        hidden = _inside_scalars(chunk, [m.start() for m in matches])
        for match, is_data in zip(matches, hidden, strict=True):
            if is_data:
                continue
            directive = _directive(match, line_offset)
            directives.setdefault(directive.target, []).append(directive)
    return {k: tuple(v) for k, v in directives.items()}


def _directive(match: re.Match[str], line_offset: int) -> Directive:
    """The directive of one match in a chunk that starts after ``line_offset`` lines."""
    chunk, position = match.string, match.start()
    ids: list[str] = []
    for part in (match.group("ids") or "").split(","):
        part = part.strip()
        if part and part not in ids:
            ids.append(part)
    line_start = chunk.rfind("\n", 0, position) + 1
    number = line_offset + chunk.count("\n", 0, position) + 1
    alone = chunk[line_start:position].strip() == ""
    return Directive(
        line=number,
        column=position - line_start + 1,
        end_column=match.end("head") - line_start + 1,
        target=number + 1 if alone else number,
        ids=tuple(ids) or ("all",),  # `ignore` and `ignore[]` name every rule
        reason=(match.group("reason") or "").strip() or None,
    )


def _inside_scalars(chunk: str, positions: list[int]) -> list[bool]:
    """For each position (ascending) of ``chunk``, whether it lies inside a scalar token (a
    block scalar's content starts on the line after its ``|`` or ``>``, where a comment may
    stand). Past a syntax error nothing more is known: those positions count as comments, as
    they did before the loader could tell (the document is refused anyway)."""
    import bisect  # as yaml: a module and a C extension loaded for this rare scan only

    import yaml  # here: only a chunk with a directive is scanned, and a run may need no PyYAML

    # PyYAML without its libyaml (a pure-Python install, or its extension broken) has no
    # CSafeLoader: its pure-Python scanner gives the same tokens, as kpolicy.compose falls back
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    inside = [False] * len(positions)
    try:
        for token in yaml.scan(chunk, Loader=loader):
            if token.__class__ is not yaml.ScalarToken:
                continue
            start, end = token.start_mark.index, token.end_mark.index
            if token.style in ("|", ">"):
                header_end = _LINE_END.search(chunk, start)
                start = header_end.end() if header_end is not None else len(chunk)
            first = bisect.bisect_left(positions, start)
            for index in range(first, bisect.bisect_left(positions, end)):
                inside[index] = True
    except (yaml.YAMLError, RecursionError):
        pass
    return inside


_LINE_END = lazy_compile(r"\r\n|\r|\n")


def parse_ignore_list(value: str) -> tuple[tuple[str, ...], str | None]:
    """``"a, b -- reason"`` → the ids in order, without repeats, and the reason."""
    listed, _, reason = value.partition("--")
    ids: list[str] = []
    for part in listed.split(","):
        part = part.strip()
        if part and part not in ids:
            ids.append(part)
    return tuple(ids), reason.strip() or None


@record(frozen=True, slots=True)
class AnnotationIgnore:
    """A ``kpolicy.io/ignore`` annotation: where its value is (from the object's root), the
    ids it names and the reason after ``--``."""

    path: Path
    ids: tuple[str, ...]
    reason: str | None

    def covers(self, rule: str) -> bool:
        return rule in self.ids or ALL in self.ids


def annotation_ignores(obj: KObject) -> tuple[AnnotationIgnore, ...]:
    """The object's ``kpolicy.io/ignore`` annotations: its own and its pod template's."""
    found: list[AnnotationIgnore] = []
    value = _ignore_value(obj.data)
    if isinstance(value, str):
        ids, reason = parse_ignore_list(value)
        if ids:
            found.append(AnnotationIgnore(_WHERE, ids, reason))
    template = pod_template(obj)
    if template is not None and template[0]:
        value = _ignore_value(template[1])
        if isinstance(value, str):
            ids, reason = parse_ignore_list(value)
            if ids:
                found.append(AnnotationIgnore((*template[0], *_WHERE), ids, reason))
    return tuple(found)


_WHERE: Path = ("metadata", "annotations", ANNOTATION)


def _ignore_value(data: object) -> object:
    """``get(data, *_WHERE)`` (kpolicy.workload.get: None where a step is missing or not a
    mapping), in line: this runs for every object with findings (a third of its cost was the
    general walk's call and loop)."""
    if not isinstance(data, dict):
        return None
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        return None
    annotations = metadata.get("annotations")
    if not isinstance(annotations, dict):
        return None
    return annotations.get(ANNOTATION)


@record(frozen=True)
class SuppressionPolicy:
    """What a run decides once: the exemptions in force, the rules that inline suppressions
    cannot silence, and what ``unused-suppression`` may judge."""

    exemptions: tuple[Exemption, ...] = ()  # those not expired
    not_suppressible: frozenset[str] = frozenset()
    known: frozenset[str] = frozenset()  # every rule id of the run (built-in and policies)
    ran: frozenset[str] = frozenset()  # the rules that run
    narrowed: bool = False  # --select or --ignore: not every configured rule runs
    unused_severity: Severity | None = None  # None: unused-suppression is off


class Suppressor:
    """The suppressions of one file, and which of them hid a finding."""

    def __init__(self, policy: SuppressionPolicy, file: LoadedFile) -> None:
        self.policy = policy
        self.file = file
        self.directives = file.directives
        self._used: set[tuple[int, int, str]] = set()  # (line, column, id) of comments
        self._used_annotations: set[tuple[int, Path, str]] = set()  # (object, path, id)
        self._annotated: list[tuple[int, KObject, tuple[AnnotationIgnore, ...]]] = []
        self._failed: set[int] = set()  # objects a rule failed on
        self._failed_file = False

    @property
    def hides_nothing(self) -> bool:
        """Whether :meth:`suppression` finds nothing for a finding of an object without
        annotations: the file has no comment directives and the run no exemptions (a finding
        of ``internal-error`` is then only of interest to :meth:`unused`, which has nothing to
        judge)."""
        return not self.directives and not self.policy.exemptions

    @property
    def tracking(self) -> bool:
        """Whether unused suppressions are looked for in this file."""
        return self.policy.unused_severity is not None and bool(
            self.directives or self.file.annotated
        )

    def suppression(
        self,
        diag: Diagnostic,
        obj: KObject | None = None,
        annotations: Sequence[AnnotationIgnore] = (),
        position: int = -1,
    ) -> Suppression | None:
        """What hides ``diag`` (of ``obj``, the ``position``-th object of the file), or None."""
        rule = diag.rule
        if rule == INTERNAL_ERROR:
            if position >= 0:
                self._failed.add(position)
            else:
                self._failed_file = True
        found: Suppression | None = None
        # `ignore` (every rule) does not hide the finding that it is itself unused: only a
        # suppression that names unused-suppression does
        explicit = rule == UNUSED_SUPPRESSION
        if rule not in self.policy.not_suppressible:
            for annotation in annotations:
                if rule in annotation.ids or (not explicit and ALL in annotation.ids):
                    named = rule if rule in annotation.ids else ALL
                    self._used_annotations.add((position, annotation.path, named))
                    found = found or Suppression("annotation", annotation.reason)
            for directive in self.directives.get(diag.span.line, ()):
                if rule in directive.ids or (not explicit and ALL in directive.ids):
                    named = rule if rule in directive.ids else ALL
                    self._used.add((directive.line, directive.column, named))
                    found = found or Suppression("comment", directive.reason)
        if found is not None:
            return found
        if obj is not None:
            for exemption in self.policy.exemptions:
                if exemption.covers(rule, obj.kind, obj.namespace, obj.name):
                    return Suppression("exemption", exemption.reason)
        return None

    def saw(self, position: int, obj: KObject, annotations: tuple[AnnotationIgnore, ...]) -> None:
        """Record an object's annotations (judged by :meth:`unused`)."""
        if annotations:
            self._annotated.append((position, obj, annotations))

    # -- unused-suppression ----------------------------------------------------------------

    def unused(self) -> list[tuple[Diagnostic, KObject | None, tuple[AnnotationIgnore, ...]]]:
        """The ``unused-suppression`` findings of the file, each with its object and that
        object's annotations (to be suppressed in turn like any finding)."""
        severity = self.policy.unused_severity
        if severity is None or self._failed_file:
            return []
        found: list[tuple[Diagnostic, KObject | None, tuple[AnnotationIgnore, ...]]] = []
        if self.directives:
            found.extend(self._unused_comments(severity))
        for position, obj, ignores in self._annotated:
            if position in self._failed:
                continue
            for annotation in ignores:
                used = {
                    i
                    for p, path, i in self._used_annotations
                    if p == position and path == annotation.path
                }
                message = self._judge(annotation.ids, used, True, "the object")
                if message is None:
                    continue
                value = get(obj.data, *annotation.path)
                head = f"annotation {ANNOTATION}: {value!r}"
                diag = Diagnostic(
                    rule=UNUSED_SUPPRESSION,
                    severity=severity,
                    message=f"{head} {message}",
                    file=obj.source.display,
                    span=obj.span(annotation.path, "value"),
                    path=to_pointer(annotation.path),
                    object=obj.ref,
                )
                found.append((diag, obj, ignores))
        return found

    def _unused_comments(
        self, severity: Severity
    ) -> Iterable[tuple[Diagnostic, KObject | None, tuple[AnnotationIgnore, ...]]]:
        ranges = _object_lines(self.file.objects)
        whole = not any(
            d.rule in _LOADER_ERRORS and d.severity is Severity.ERROR for d in self.file.diagnostics
        )
        ignores = {position: a for position, _, a in self._annotated}
        seen: set[tuple[int, int]] = set()
        every = sorted(
            (d for group in self.directives.values() for d in group),
            key=lambda d: (d.line, d.column),
        )
        for directive in every:
            if (directive.line, directive.column) in seen:
                continue
            seen.add((directive.line, directive.column))
            position = _object_at(ranges, directive.target)
            if position is not None and position in self._failed:
                continue
            used = {
                i
                for line, column, i in self._used
                if line == directive.line and column == directive.column
            }
            message = self._judge(
                directive.ids, used, position is not None or whole, "the line it covers"
            )
            if message is None:
                continue
            obj = self.file.objects[position] if position is not None else None
            ref: ObjectRef | None = obj.ref if obj is not None else None
            listed = "" if directive.ids == (ALL,) else f"[{', '.join(directive.ids)}]"
            diag = Diagnostic(
                rule=UNUSED_SUPPRESSION,
                severity=severity,
                message=f"comment 'kpolicy: ignore{listed}' {message}",
                file=self.file.source.display,
                span=directive.span,
                path="",
                object=ref,
            )
            yield diag, obj, ignores.get(position, ()) if position is not None else ()

    def _judge(
        self, ids: Sequence[str], used: Collection[str], judged: bool, place: str
    ) -> str | None:
        """Why a suppression naming ``ids`` (of which ``used`` hid something) is unused or
        partly so, or None when it is not. ``judged``: whether its place was checked at all."""
        policy = self.policy
        if UNUSED_SUPPRESSION in ids:
            return None  # the author asked not to be told
        unknown = [i for i in ids if i != ALL and i not in policy.known]
        blocked = [i for i in ids if i in policy.not_suppressible]
        idle: list[str] = []
        if judged:
            for rule in ids:
                if rule in used or rule in blocked or rule in unknown:
                    continue
                if rule == ALL:
                    if not policy.narrowed and not used:
                        idle.append(rule)
                elif rule in policy.ran:
                    idle.append(rule)
        if not (unknown or blocked or idle):
            return None
        reasons: list[str] = []
        named = [i for i in idle if i != ALL]
        if ALL in idle:
            reasons.append(f"no finding on {place} that it may suppress")
        if named:
            verb = "reports" if len(named) == 1 else "report"
            reasons.append(f"{', '.join(named)} {verb} nothing on {place}")
        for rule in unknown:
            from kpolicy.suggest import close_matches  # suggestions only: not at start-up

            close = close_matches(rule, sorted(policy.known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            reasons.append(f"unknown rule {rule!r}{hint}")
        for rule in blocked:
            reasons.append(
                f"{rule} cannot be suppressed inline (the config sets suppressible: false)"
            )
        effective = [i for i in ids if i not in unknown and i not in blocked]
        verdict = "is partly unused" if used and effective else "suppresses nothing"
        return f"{verdict}: {'; '.join(reasons)}"


def _object_lines(objects: Sequence[KObject]) -> list[tuple[int, int, int]]:
    """(first line, last line, position) of each object of a file."""
    ranges: list[tuple[int, int, int]] = []
    for position, obj in enumerate(objects):
        entry = obj.positions.lookup(obj.base)
        if entry is None:
            continue
        span = entry[1]
        # a block mapping ends where the next token starts: at column 1 of the line after
        last = (
            span.end_line - 1
            if span.end_column <= 1 and span.end_line > span.line
            else span.end_line
        )
        ranges.append((span.line, last, position))
    return ranges


def _object_at(ranges: list[tuple[int, int, int]], line: int) -> int | None:
    """The innermost object whose lines hold ``line`` (an item of a List, not the List)."""
    best: tuple[int, int] | None = None
    for first, last, position in ranges:
        if first <= line <= last and (best is None or last - first < best[0]):
            best = (last - first, position)
    return best[1] if best is not None else None


def suppression_policy(
    exemptions: Iterable[Exemption],
    settings: Mapping[str, bool],
    known: Iterable[str],
    ran: Mapping[str, Severity],
    narrowed: bool,
    today: date | None,
) -> SuppressionPolicy:
    """The run's :class:`SuppressionPolicy`. ``settings``: rule id → suppressible;
    ``ran``: the rules that run, with their severity; ``today``: None only when no exemption
    has an ``until``."""
    return SuppressionPolicy(
        exemptions=tuple(e for e in exemptions if not e.expired(today)),
        not_suppressible=frozenset(r for r, on in settings.items() if not on),
        known=frozenset(known),
        ran=frozenset(ran),
        narrowed=narrowed,
        unused_severity=ran.get(UNUSED_SUPPRESSION),
    )
