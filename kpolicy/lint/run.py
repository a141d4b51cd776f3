"""The parallel run: worker processes read the files and run the checks that need only their object; the parent runs the rest once it has the index."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence, Set
from operator import is_not

from kpolicy.checks import SchemaService, kinds_read_whole
from kpolicy.discover import Input
from kpolicy.engine import Engine
from kpolicy.hints import cast
from kpolicy.index import NAME_FIELDS, NOT_KEPT, Index, LocalIndex, NamesOnly, PackedWhole
from kpolicy.k8s.apis import SERVED
from kpolicy.lint.inputs import adapt_to_repo, refuse_past_run_limit, size_of
from kpolicy.lint.inputs import read_input as read_input  # tests patch it here
from kpolicy.lint.options import LintOptions
from kpolicy.lint.post import object_findings
from kpolicy.lint.session import Session, reads_schemas, rule_context
from kpolicy.load import load_text
from kpolicy.model import (
    Diagnostic,
    Directive,
    KObject,
    LoadedFile,
    ObjectRef,
    Severity,
    SourceFile,
    Span,
    sort_findings,
    sort_key,
)
from kpolicy.positions import PositionTable
from kpolicy.records import fields, open_twin, record
from kpolicy.repo import RepoModel
from kpolicy.suppress import AnnotationIgnore, annotation_ignores
from kpolicy.workload import checking, get, template_path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


@record(frozen=True, slots=True)
class LocalFindings:
    """What a worker's local pass found in one file: per object, its findings as the run
    reports them (:func:`kpolicy.lint.post.object_findings`), the plan positions of the checks
    that need the whole index (run again in the parent) and its ``kpolicy.io/ignore``
    annotations (:func:`kpolicy.suppress.annotation_ignores`; None when it has no finding in a
    file whose text names no annotation); the tracebacks of failed checks (``--debug``); and,
    when the run writes a JSON report, the lines of its findings in that report, object after
    object, each object's in the order of its findings (:attr:`LintOptions.json_lines`; else
    empty)."""

    per_object: tuple[
        tuple[list[Diagnostic], tuple[int, ...], tuple[AnnotationIgnore, ...] | None], ...
    ]
    traces: tuple[str, ...]
    lines: tuple[str, ...] = ()
    # each object's findings are in the order of the report (:data:`SORT_KEY`), and so are
    # all of them, object after object, each on this file: the parent then takes them in this
    # order rather than sorting every finding of the run again
    # (:func:`kpolicy.lint.check.in_report_order`)
    ordered: bool = False


# The fields of a finding that most findings leave as they are (related locations, fix,
# suppression, origin, found_at): a finding with none of them travels as these fields, in a
# row in its object's list (:func:`_flat_fields`).
_Flat = tuple[str, Severity, str, str, int, int, int, int, str, ObjectRef | bool | None, bool]
_FLAT_FIELDS = 11
# the ref of an object that has none (a file not read): no finding's object is it
_NO_REF = object()


def _flat(diag: Diagnostic, ref: object) -> _Flat | Diagnostic:
    """``diag`` as a tuple of its fields (see :data:`_Flat`), its object True where it is
    ``ref``, the ref of the object it was found on (which travels with the file, as its
    fields, :func:`_flat_file`); else ``diag`` itself."""
    if (
        diag.related
        or diag.fix is not None
        or diag.suppression is not None
        or diag.origin is not None
        or diag.found_at is not None
    ):
        return diag
    span = diag.span
    obj = diag.object
    return (
        diag.rule,
        diag.severity,
        diag.message,
        diag.file,
        span.line,
        span.column,
        span.end_line,
        span.end_column,
        diag.path,
        True if obj is ref else obj,
        diag.rejects,
    )


def _flat_fields(findings: list[Diagnostic], ref: object) -> list[object]:
    """An object's findings as they travel: each one's fields (:func:`_flat`) in a row, its
    rule (a str) first, in one list for them all; a finding that travels whole (or whose rule
    is not a str) as itself. One list an object, rather than a tuple a finding, is pickled and
    unpickled (and a memo entry less a finding, in both processes)."""
    fields: list[object] = []
    for diag in findings:
        flat = _flat(diag, ref)
        if flat.__class__ is tuple and flat[0].__class__ is str:
            fields += flat
        else:
            fields.append(diag)
    return fields


_Packed = tuple[
    tuple[tuple[list[object], tuple[int, ...], tuple[AnnotationIgnore, ...] | None], ...],
    tuple[str, ...],
    tuple[str, ...],
    bool,
]


# An object of a file as it travels (:func:`_flat_file`), when its positions are a compact
# table of its data (or, kept by its names only, of the plain dict its NamesOnly copies): its
# data (that dict), whether it is kept by its names only, its ref's four fields, its place
# (document, base), its table's records (typecode and bytes), template, patch and plain.
_OBJECT_FIELDS = 13
# A file as it travels: its source, documents, diagnostics, directives, manifest_like,
# not_manifest and annotated; its objects' fields, object after object, in one list; and the
# objects that travel whole (another table, another source), by their places. The source
# travels as its fields (display, text, context_only) where no object travels whole (whose
# source is the file's own object, and must stay so in the parent); else whole, and None twice.
_FlatFile = tuple[
    SourceFile | str,
    str | None,
    bool | None,
    int,
    tuple[Diagnostic, ...],
    dict[int, tuple[Directive, ...]],
    bool,
    str,
    bool,
    list[object],
    dict[int, KObject] | None,
]


def _flat_file(loaded: LoadedFile) -> _FlatFile:
    """``loaded`` as it travels to the parent: its objects' fields in one list, the records
    of their position tables as bytes, rather than an object, a table and an array each,
    which pickle writes through their reductions (a call of Python each, for the object, its
    ref and its table, and again to make each in the parent) and keeps in its memo."""
    source = loaded.source
    flat: list[object] = []
    extend = flat.extend
    whole: dict[int, KObject] | None = None
    for place, obj in enumerate(loaded.objects):
        table = obj.positions
        data = obj.data
        ref = obj.ref
        names = data.__class__ is NamesOnly
        if (
            obj.__class__ is KObject
            and table.__class__ is PositionTable
            and table._entries is None
            and table._irregular is None
            and obj.source is source
            and ref.__class__ is ObjectRef
        ):
            root, records = table._root, table._records
        else:
            root = records = None
        if records.__class__ is array and (
            root is data if data.__class__ is dict else names and root.__class__ is dict
        ):
            extend(
                (
                    root,
                    names,
                    ref.api_version,
                    ref.kind,
                    ref.namespace,
                    ref.name,
                    obj.doc_index,
                    obj.base,
                    records.typecode,
                    records.tobytes(),
                    obj.template,
                    obj.patch,
                    obj.plain,
                )
            )
        else:
            if whole is None:
                whole = {}
            whole[place] = obj
    if whole is None and source.__class__ is SourceFile and source.display.__class__ is str:
        # its fields, not the record: a record is pickled through its reduction (a call of
        # Python's __getstate__ in the worker, of __setstate__ in the parent), a file apiece
        return (
            source.display,
            source.text,
            source.context_only,
            loaded.documents,
            loaded.diagnostics,
            loaded.directives,
            loaded.manifest_like,
            loaded.not_manifest,
            loaded.annotated,
            flat,
            whole,
        )
    return (
        source,
        None,
        None,
        loaded.documents,
        loaded.diagnostics,
        loaded.directives,
        loaded.manifest_like,
        loaded.not_manifest,
        loaded.annotated,
        flat,
        whole,
    )


def _file(flat_file: _FlatFile) -> LoadedFile:
    """The file of :func:`_flat_file` again: each object and its table as the worker had them
    (an object kept by its names only gets its NamesOnly, a copy of its table's dict, as
    :func:`names_only` made it)."""
    (
        head,
        text,
        context_only,
        documents,
        diagnostics,
        directives,
        manifest_like,
        not_manifest,
        annotated,
        flat,
        whole,
    ) = flat_file
    # (made as a loader makes it: SourceFile's fields are these three, tests hold it to them)
    source = (
        SourceFile(head, cast(str, text), cast(bool, context_only))
        if head.__class__ is str
        else cast(SourceFile, head)
    )
    compact = PositionTable.compact
    objects: list[KObject] = []
    append = objects.append
    fields_of = iter(flat)
    for (
        root,
        names,
        api_version,
        kind,
        namespace,
        name,
        doc_index,
        base,
        typecode,
        records,
        template,
        patch,
        plain,
    ) in zip(*(fields_of,) * _OBJECT_FIELDS, strict=True):
        append(
            KObject(
                NamesOnly(root) if names else root,
                ObjectRef(api_version, kind, namespace, name),
                source,
                doc_index,
                base,
                compact(root, array(typecode, records)),
                template,
                patch,
                plain,
            )
        )
    if whole:
        for place in sorted(whole):  # in order: each goes where it was among them all
            objects.insert(place, whole[place])
    return LoadedFile(
        source,
        tuple(objects),
        diagnostics,
        documents,
        directives,
        manifest_like,
        not_manifest,
        annotated,
    )


def _pack(answer: tuple[LoadedFile | str, LocalFindings | None]) -> object:
    """A worker's answer as it travels to the parent: the file with its objects flat
    (:func:`_flat_file`), and each finding as the plain tuple of its fields (:func:`_flat`),
    which pickles in half the time of the records (and unpickles a little faster, in the
    parent's collector while the workers run); :func:`_unpack` again."""
    loaded, found = answer
    # a file (its objects flat, _flat_file), or why it was not read
    result = _flat_file(loaded) if loaded.__class__ is LoadedFile else loaded
    if found is None:
        return result, None
    refs = _refs(loaded, len(found.per_object))
    makers = _slot_makers()
    # the C extension's finding_fields where it is built (None: it leaves a list to
    # _flat_fields)
    by_slots = None if makers is None else makers[3]
    per_object = []
    for (findings, deferred, ignores), ref in zip(found.per_object, refs, strict=True):
        flat = None
        if findings and by_slots is not None and findings.__class__ is list:
            flat = by_slots(findings, ref, makers[1], makers[2])  # type: ignore[index]
        if flat is None:
            flat = _flat_fields(findings, ref)
        per_object.append((flat, deferred, ignores))
    packed: _Packed = (tuple(per_object), found.traces, found.lines, found.ordered)
    return result, packed


def _unpack(packed: Any) -> tuple[LoadedFile | str, LocalFindings | None]:
    result, found = packed
    if result.__class__ is tuple:
        result = _file(result)
    if found is None:
        return result, None
    packed_objects, traces, lines, ordered = cast(_Packed, found)
    refs = _refs(result, len(packed_objects))
    per_object = tuple(
        (_findings(flat, ref), deferred, ignores)
        for (flat, deferred, ignores), ref in zip(packed_objects, refs, strict=True)
    )
    return result, LocalFindings(per_object, traces, lines, ordered)


def _refs(loaded: LoadedFile | str, count: int) -> list[Any]:
    """The refs of the ``count`` objects of ``loaded`` (``_NO_REF`` each when it has no such
    objects)."""
    if loaded.__class__ is LoadedFile:
        objects = loaded.objects
        if len(objects) == count:
            return [obj.ref for obj in objects]
    return [_NO_REF] * count


def _findings(flat: list[object], ref: Any = _NO_REF) -> list[Diagnostic]:
    """The findings of :func:`_flat_fields`' list (and those that travelled whole), each made as
    ``Diagnostic(rule, severity, message, file, Span(...), path, obj, rejects=rejects)``
    makes it, but here: an instance of the records' open twins (made by calling the twin,
    which has neither ``__init__`` nor ``__new__`` of its own: a fifth fewer instructions than
    ``object.__new__(twin)``), its fields set, then made a Span or a Diagnostic
    (:func:`kpolicy.records.open_twin`), at a fifth of the instructions of calling the
    classes (``tests/test_parallel.py`` holds the ways to the same records, field by field);
    made by the C extension where it is built (:func:`_slot_makers`), the list in one call
    (``flat_findings``: the twins' way in C, the slots set in the records' order, at a
    quarter of its instructions)."""
    makers = _slot_makers()
    if makers is not None:
        return makers[0](flat, ref, makers[1], makers[2])  # type: ignore[no-any-return]
    open_span, open_diag = _twins()
    if open_span is None or open_diag is None:
        return _findings_by_call(flat, ref)
    found: list[Diagnostic] = []
    append = found.append
    at = 0
    while at < len(flat):
        item = flat[at]
        if item.__class__ is not str:
            append(cast(Diagnostic, item))
            at += 1
            continue
        rule, severity, message, file, line, column, end_line, end_column, path, obj, rejects = (
            flat[at : at + _FLAT_FIELDS]
        )
        at += _FLAT_FIELDS
        span = open_span()
        span.line = line
        span.column = column
        span.end_line = end_line
        span.end_column = end_column
        span.__class__ = Span
        diag = open_diag()
        diag.rule = rule
        diag.severity = severity
        diag.message = message
        diag.file = file
        diag.span = span
        diag.path = path
        diag.object = ref if obj is True else obj
        diag.related = ()
        diag.fix = None
        diag.suppression = None
        diag.rejects = rejects
        diag.origin = None
        diag.found_at = None
        diag.__class__ = Diagnostic
        append(diag)
    return found


_MAKERS: list[tuple[Any, Any, Any, Any] | None] = []


def _slot_makers() -> tuple[Any, Any, Any, Any] | None:
    """The C extension's ``flat_findings`` and the slots of Span and Diagnostic
    (:func:`kpolicy.records.record_slots`) it sets, where the extension is built and the
    records are made as :func:`_twins` requires; else None. Fourth, its ``finding_fields``
    (None where not built): what a worker sends of an object's findings,
    :func:`_flat_fields`, read from the records' slots."""
    if not _MAKERS:
        from kpolicy.records import record_slots

        span_slots = record_slots(Span)
        diag_slots = record_slots(Diagnostic)
        makers = None
        if all(_twins()) and span_slots is not None and diag_slots is not None:
            from kpolicy import _cload  # type: ignore[attr-defined,unused-ignore]

            made = getattr(_cload, "flat_findings", None)
            if made is not None:
                makers = (made, span_slots, diag_slots, getattr(_cload, "finding_fields", None))
        _MAKERS.append(makers)
    return _MAKERS[0]


def _findings_by_call(flat: list[object], ref: Any = _NO_REF) -> list[Diagnostic]:
    """:func:`_findings` the general way: the records' classes called."""
    found: list[Diagnostic] = []
    at = 0
    while at < len(flat):
        item = flat[at]
        if item.__class__ is not str:
            found.append(cast(Diagnostic, item))
            at += 1
            continue
        rule, severity, message, file, line, column, end_line, end_column, path, obj, rejects = (
            cast(_Flat, tuple(flat[at : at + _FLAT_FIELDS]))
        )
        at += _FLAT_FIELDS
        span = Span(line, column, end_line, end_column)
        own = ref if obj is True else cast("ObjectRef | None", obj)
        found.append(Diagnostic(rule, severity, message, file, span, path, own, rejects=rejects))
    return found


# the fields _findings sets, in the order the records declare them (tests hold them to it)
SPAN_FIELDS = ("line", "column", "end_line", "end_column")
DIAGNOSTIC_FIELDS = (
    "rule",
    "severity",
    "message",
    "file",
    "span",
    "path",
    "object",
    "related",
    "fix",
    "suppression",
    "rejects",
    "origin",
    "found_at",
)
_TWINS: list[tuple[Any, Any]] = []


def _twins() -> tuple[Any, Any]:
    """The open twins of Span and Diagnostic, or None each where a record is not made so (or
    no longer has exactly the fields :func:`_findings` sets, or has a ``__post_init__``, or
    its twin cannot be made by calling it with nothing)."""
    if not _TWINS:
        twins = []
        for cls, names in ((Span, SPAN_FIELDS), (Diagnostic, DIAGNOSTIC_FIELDS)):
            declared = tuple(f.name for f in fields(cls))
            twin = open_twin(cls)
            same = (
                declared == names
                and not hasattr(cls, "__post_init__")
                # made by calling it: object's own __new__ and __init__, which take nothing
                and getattr(twin, "__new__", None) is object.__new__
                and getattr(twin, "__init__", None) is object.__init__
            )
            twins.append(twin if same else None)
        _TWINS.append((twins[0], twins[1]))
    return _TWINS[0]


def _local_engine(session: Session, nodes: tuple[KObject, ...] | None, debug: bool) -> Engine:
    """The engine of the workers' local pass: every rule, with an index that answers only
    about the object itself and the bundled schemas only; the engine leaves the checks that
    read more (other objects, a custom kind's schema) to the parent, as they declare
    (:class:`kpolicy.checks.Reads`)."""
    schemas: SchemaService | None = None
    if reads_schemas(session):
        from kpolicy.schema import SchemaValidator

        validator = SchemaValidator.for_version(session.kubernetes_version)
        validator.compile_builtin()  # once, here, rather than once in every worker
        schemas = validator
    context = rule_context(session, cast(Index, LocalIndex()), nodes, schemas)
    return Engine(session.active, context, debug=debug)


def _check_locally(
    engine: Engine,
    loaded: LoadedFile,
    generic: Set[str],
    render: Callable[[Sequence[Diagnostic]], list[str]] | None = None,
) -> LocalFindings:
    """The local pass on ``loaded``; with ``render`` (:func:`kpolicy.report.json_report.
    finding_lines`, one a process: a message, path or file is encoded once in it, as the
    serial writer encodes it once in the run), the JSON report's lines of its findings too
    (the parent's writer takes them for the findings that reach it unchanged, in the order
    :func:`kpolicy.lint.check.check_files` keeps them)."""
    cast(LocalIndex, engine.context.index).clear()  # one file's objects at a time
    traced = len(engine.traces)
    per_object = []
    display = loaded.source.display
    ordered = True
    last: tuple[str, int, int, str, str] | None = None
    key = sort_key()  # (SORT_KEY, in C where the extension is built)
    for obj in loaded.objects:
        deferred: list[int] = []
        # what its checks work out of it (its pod template) is kept for annotation_ignores
        checking(obj)
        try:
            found = object_findings(obj, engine.run(obj, deferred=deferred), generic)
            ignores = annotation_ignores(obj) if found or loaded.annotated else None
        finally:
            checking(None)
        if found:
            # in the order of the report, here, while the workers run (see LocalFindings)
            sort_findings(found)  # (found.sort(key=key), in C where the extension is built)
            if ordered:
                first = key(found[0])
                ordered = first[0] == display and (last is None or last <= first)
                last = key(found[-1])
                ordered = ordered and last[0] == display
        # the parent reads the annotations (ignores) for an object with findings (or any of an
        # annotated file); where only the deferred checks find something, it reads them itself
        per_object.append((found, tuple(deferred), ignores))
    traces = tuple(engine.traces[traced:])
    del engine.traces[traced:]
    if render is None:
        return LocalFindings(tuple(per_object), traces, ordered=ordered)
    # the file's findings in one call of the renderer (a call a finding was a tenth of a line)
    lines = tuple(render([diag for found, _, _ in per_object for diag in found]))
    return LocalFindings(tuple(per_object), traces, lines, ordered)


# the fields of KObject and LoadedFile, in the order they declare them: _with_data and _kept
# make them by position, a fifth of the instructions of ``replace`` (which reads every field by
# name and calls the class with keywords), once for most objects of a worker's files
# (tests/test_parallel.py holds them to the records)
KOBJECT_FIELDS = (
    "data",
    "ref",
    "source",
    "doc_index",
    "base",
    "positions",
    "template",
    "patch",
    "plain",
)
LOADED_FILE_FIELDS = (
    "source",
    "objects",
    "diagnostics",
    "documents",
    "directives",
    "manifest_like",
    "not_manifest",
    "annotated",
)


def _with_data(
    obj: KObject, data: dict[str, Any], positions: PositionTable, plain: bool
) -> KObject:
    """``replace(obj, data=data, positions=positions, plain=plain)``, by position."""
    return KObject(
        data,
        obj.ref,
        obj.source,
        obj.doc_index,
        obj.base,
        positions,
        obj.template,
        obj.patch,
        plain,
    )


def names_only(obj: KObject, whole: frozenset[str]) -> KObject:
    """``obj`` as the parent keeps it once a worker ran its local pass and deferred nothing on
    it: by its names alone (kind, apiVersion and metadata, and their positions) when no check
    of the parent reads more of it; else ``obj`` itself. The parent reads every object's
    names (the index, suppressions, the hooks of a chart) but only some objects' fields: those
    of the kinds ``whole`` (:func:`kpolicy.checks.kinds_read_whole`), of the objects that run
    Pods or hold a pod template, and of custom kinds; a CustomResourceDefinition's whole data
    travels packed, for the schemas of its kinds (:class:`kpolicy.index.PackedWhole`). An
    object of a chart's template (whose findings the parent places on the template's lines),
    or an item of a ``kind: List``, is kept whole."""
    api_version = obj.data.get("apiVersion")
    if (
        obj.base
        or obj.template is not None
        or obj.kind in whole
        or api_version not in SERVED.get(obj.kind, ())
        or template_path(obj) is not None
        or not obj.positions.describes(obj.data)
    ):
        return obj
    pruned = obj.positions.top_level(NAME_FIELDS)
    if pruned is None:
        return obj
    table, kept = pruned
    if obj.kind != "CustomResourceDefinition":
        return _with_data(obj, NamesOnly(kept), table, obj.plain)
    # the parent reads a definition's schemas once (lint.session.run_schemas): packed till then
    packed = PackedWhole(kept)
    # only where a definition is packed: not on a one-file run's path (the C pickler, as
    # kpolicy.parallel's)
    from _pickle import dumps

    from kpolicy.schema.custom import crd_schemas

    packed.packed = dumps(obj.data, protocol=-1)
    # which kinds it gives, so that the parent unpacks only the definitions of kinds in use
    try:
        packed.served = tuple(crd_schemas(obj.data))
    except Exception:  # a hostile definition gives no schema (SchemaValidator.register_crd)
        packed.served = ()
    return _with_data(obj, packed, table, obj.plain)


# the fields of a container that no check of the parent reads (its checks read a workload's
# selector, labels, replicas, ports, resources, probes and volumes, never its environment or
# command line): the largest part of the workloads it keeps (env alone is a quarter of the
# data it keeps of a copied corpus)
UNREAD_CONTAINER_FIELDS = ("env", "envFrom", "command", "args")
_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


def without_unread(obj: KObject) -> KObject:
    """``obj``, a workload or Pod of a built-in kind that the parent keeps whole, without the
    fields of its containers that no check of the parent reads (:data:`UNREAD_CONTAINER_FIELDS`):
    each holds :data:`kpolicy.index.NOT_KEPT` instead, whose reading raises
    :class:`kpolicy.index.NotKeptWhole`, and keeps its own position but none under it. Else
    ``obj`` itself (as :func:`names_only`, an object of a chart's template or a ``kind: List``
    item, or one whose positions are not a compact table of its document)."""
    path = template_path(obj)
    if (
        path is None
        or obj.base
        or obj.template is not None
        or obj.data.get("apiVersion") not in SERVED.get(obj.kind, ())
        or not obj.positions.describes(obj.data)
    ):
        return obj
    spec = get(obj.data, *path, "spec")
    if spec.__class__ is not dict:
        return obj
    drops: list[tuple[str | int, ...]] = []
    for listing in _CONTAINER_LISTS:
        listed = spec.get(listing)
        if listed.__class__ is not list:
            continue
        for position, container in enumerate(listed):
            if container.__class__ is dict:
                drops.extend(
                    (*path, "spec", listing, position, key)
                    for key in UNREAD_CONTAINER_FIELDS
                    if key in container
                )
    if not drops:
        return obj
    # a copy of the nodes above the dropped fields: the worker's document stays as it read it
    copies: dict[tuple[str | int, ...], Any] = {(): dict(obj.data)}
    for drop in drops:
        for end in range(1, len(drop)):
            prefix = drop[:end]
            if prefix not in copies:
                above = copies[drop[: end - 1]]
                copies[prefix] = above[drop[end - 1]] = above[drop[end - 1]].copy()
        copies[drop[:-1]][drop[-1]] = NOT_KEPT
    data = copies[()]
    table = obj.positions.collapsed(data, drops)
    if table is None:
        return obj
    return _with_data(obj, data, table, False)


def _slim(obj: KObject, deferred: tuple[int, ...], whole: frozenset[str]) -> KObject:
    kept = obj if deferred else names_only(obj, whole)
    return without_unread(kept) if kept is obj else kept


def _kept(
    loaded: LoadedFile, found: LocalFindings, whole: frozenset[str], keep_unread: bool = False
) -> LoadedFile:
    """``loaded`` with the objects the parent needs no more of by their names only, and the
    others without what no check of the parent reads (:func:`without_unread`), unless
    ``keep_unread``: on a small input (the parent unpickles the answers as they come, far from
    its peak of memory, :func:`_renders`) the containers' unread fields are kept, for copying
    the nodes above them and cutting the table cost the workers more than the fields cost to
    send and to unpickle (the many-findings corpus: 33M instructions against 10M)."""
    objects = loaded.objects
    if keep_unread:
        kept = [
            obj if deferred else names_only(obj, whole)
            for obj, (_, deferred, _) in zip(objects, found.per_object, strict=True)
        ]
    else:
        kept = [
            _slim(obj, deferred, whole)
            for obj, (_, deferred, _) in zip(objects, found.per_object, strict=True)
        ]
    if not any(map(is_not, kept, objects)):
        return loaded
    # by position, as _with_data makes an object
    return LoadedFile(
        loaded.source,
        tuple(kept),
        loaded.diagnostics,
        loaded.documents,
        loaded.directives,
        loaded.manifest_like,
        loaded.not_manifest,
        loaded.annotated,
    )


def _large(sizes: Sequence[int]) -> bool:
    """Whether the input is one that the default job count would share among workers when
    cores are free (:func:`kpolicy.parallel.plan_jobs`)."""
    from kpolicy.parallel import MIN_PARALLEL_BYTES, MIN_PARALLEL_FILES

    return sum(sizes) >= MIN_PARALLEL_BYTES and len(sizes) >= MIN_PARALLEL_FILES


def _renders(total: int) -> bool:
    """Whether the workers render the JSON report's lines of their findings, on input of
    ``total`` bytes: the lines then travel with the findings and wait in the parent till the
    report is written, a copy of the report's findings at the parent's peak of memory. So only
    where the parent takes the answers as they come (:data:`kpolicy.parallel.UNPICKLE_EARLY_BYTES`),
    far from the peak that large inputs reach: there the parent renders them as it writes."""
    from kpolicy.parallel import unpickles_early

    return unpickles_early(total)


def read_all(
    reads: Sequence[tuple[Input, bool]],
    session: Session,
    options: LintOptions,
    nodes: tuple[KObject, ...] | None,
    repo: RepoModel | None = None,
) -> tuple[list[LoadedFile | str], list[LocalFindings | None]]:
    """``read_input`` of each, in order; when the input is large, in worker processes that also
    run the rules' local pass on the files that will be reported (see :class:`LocalFindings`):
    the rules then run in parallel with the loading, on objects the workers own, and the
    parent, once it has the index, runs only the checks that need it. Each file's objects are
    adapted to the repository (:func:`adapt_to_repo`) where they are read."""
    limits = session.limits
    jobs = 1
    sizes = [size_of(item) for item, _ in reads]
    if options.jobs != 1 and len(reads) > 1:
        from kpolicy.parallel import can_fork, plan_jobs

        if can_fork():
            jobs = plan_jobs(options.jobs, sizes)
    # stdin is read here, by the process that owns it
    results: list[LoadedFile | str | None] = [None] * len(reads)
    refuse_past_run_limit(reads, sizes, limits, results)
    on_disk = [
        i
        for i, (item, _) in enumerate(reads)
        if item.location is not None and results[i] is None and item.display not in options.texts
    ]
    local: list[LocalFindings | None] = [None] * len(reads)
    # serial (-j 1, or no idle core) on an input that workers would share: the same local pass,
    # here, one file at a time, so that a file's objects of the kinds no check of the parent
    # reads are dropped once their own checks have run, as the workers drop them, and the
    # memory stays that of the parallel run's parent. Not on an input that parent takes the
    # answers of as they come (_renders: far from its peak of memory): there the pass and the
    # dropping cost more than they keep (the many-findings corpus: 53M instructions for 2 MB of
    # peak; 5 MB at 3.4 MB of input)
    total = sum(sizes[i] for i in on_disk)
    serial_pass = jobs == 1 and len(on_disk) > 1 and _large(sizes) and not _renders(total)
    if (jobs > 1 or serial_pass) and len(on_disk) > 1:
        engine = _local_engine(session, nodes, options.debug)
        whole = kinds_read_whole()
        small = jobs > 1 and _renders(total)
        renders = options.json_lines and small
        # the renderer of the process that reads, made at its first file: after the fork,
        # so that each process (its own copy of this slot) makes one
        renderer: list[Callable[[Sequence[Diagnostic]], list[str]]] = []
        if renders:
            import kpolicy.report.json_report  # noqa: F401 - once, before the workers fork

        def render() -> Callable[[Sequence[Diagnostic]], list[str]] | None:
            if not renders:
                return None
            if not renderer:
                from kpolicy.report.json_report import finding_lines

                renderer.append(finding_lines())
            return renderer[0]

        def read(index: int, slim: bool = True) -> tuple[LoadedFile | str, LocalFindings | None]:
            item, context_only = reads[index]
            result = read_input(item, context_only, limits, None, keep_text=False)
            if isinstance(result, str):
                return result, None
            result = adapt_to_repo(result, repo)
            if context_only or not result.manifest_like:
                return result, None
            found = _check_locally(engine, result, session.generic, render())
            if not slim:
                return result, found
            return _kept(result, found, whole, keep_unread=small), found

        def read_whole(index: int) -> tuple[LoadedFile | str, LocalFindings | None]:
            return read(index, False)

        if serial_pass:
            for index in on_disk:
                results[index], local[index] = read(index)
        else:
            from kpolicy.parallel import WorkerFailed, load_files

            try:
                # On a small input the parent keeps its own files whole, as a serial run of it
                # does (it takes the answers as they come, far from its peak of memory: _renders):
                # slimming them (_kept: ~2 us an object) would only save memory there, where
                # a child's are slimmed to travel (fewer bytes to pickle and unpickle)
                found = load_files(
                    on_disk,
                    [sizes[i] for i in on_disk],
                    jobs,
                    read,
                    _pack,
                    _unpack,
                    mine=read_whole if small else None,
                )
            except WorkerFailed:
                pass
            else:
                for index, (result, early) in zip(on_disk, found, strict=True):
                    results[index] = result
                    local[index] = early
    for index, (item, context_only) in enumerate(reads):
        if results[index] is None:
            given = options.texts.get(item.display)
            if given is not None:
                result = load_text(
                    SourceFile(item.display, given, context_only), limits, keep_text=False
                )
            else:
                result = read_input(
                    item,
                    context_only,
                    limits,
                    None if context_only else options.stdin_text,
                    keep_text=False,
                )
            results[index] = result if isinstance(result, str) else adapt_to_repo(result, repo)
    return [r for r in results if r is not None], local
