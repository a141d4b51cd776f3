"""Index, run the rules on the reported files, suppress: :func:`check_files`, where the CLI and the language server meet."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain
from operator import attrgetter

from kpolicy.engine import Engine
from kpolicy.helm import TemplateOrigins, is_hook
from kpolicy.index import Index, scope_namespace
from kpolicy.k8s.podtemplates import configured as pod_template_kinds
from kpolicy.kustomizenames import PATCH_EXEMPT_RULES
from kpolicy.lifetime import keep
from kpolicy.lint.post import HOOK_EXEMPT_RULES, object_findings, with_baseline
from kpolicy.lint.run import LocalFindings
from kpolicy.lint.session import Session, rule_context, run_schemas
from kpolicy.model import (
    SORT_KEY,
    CheckedFile,
    Diagnostic,
    KObject,
    LintResult,
    LoadedFile,
    RelatedLocation,
    Severity,
    Summary,
    Suppression,
    sort_findings,
    sort_key,
)
from kpolicy.patterns import start_run
from kpolicy.records import replace
from kpolicy.repo import RepoModel
from kpolicy.suppress import (
    AnnotationIgnore,
    Suppressor,
    annotation_ignores,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path  # a plain run does without pathlib (gather_inputs's base is a str)
    from typing import Any


# the objects' input order (as checks.services._input_order), read in C too
_INPUT_ORDER = attrgetter("source.display", "doc_index", "base")
_REF = attrgetter("ref")


def check_files(
    loaded: Sequence[LoadedFile],
    context_files: Sequence[LoadedFile],
    session: Session,
    **kwargs: Any,
) -> tuple[LintResult, list[str]]:
    """:func:`_check_files` with the config's custom pod-template kinds known."""
    with pod_template_kinds(session.config.pod_templates):
        return _check_files(loaded, context_files, session, **kwargs)


def _check_files(
    loaded: Sequence[LoadedFile],
    context_files: Sequence[LoadedFile],
    session: Session,
    *,
    nodes: tuple[KObject, ...] | None = None,
    debug: bool = False,
    errors: Sequence[str] = (),
    local: Sequence[LocalFindings | None] | None = None,
    extra: Sequence[Diagnostic] = (),
    base: str | Path | None = None,
    repo: RepoModel | None = None,
    context_findings: bool = True,
    new_run: bool = True,
    baseline: bool = True,
) -> tuple[LintResult, list[str]]:
    """Index, run the rules on ``loaded`` (not on ``context_files``) and suppress.

    The CLI and the language server both end here, so they cannot disagree. ``local``: for
    each file of ``loaded``, what a worker's local pass already found (or None); only the
    checks it deferred run here, so the result is the same as without it. ``extra``: findings
    made before (about the repository, not an object), suppressed already when they are.
    ``base``: the working folder, where templates named by ``# Source:`` comments are found.
    ``repo``: the repository model, which tells which objects are applied together.
    ``context_findings``: show a context object's finding on the reported file it relates to
    (the language server, which lints each open file with the others as context, says no: the
    finding is on the other file already, as ``kpolicy lint`` of the workspace shows it). ``new_run``: this
    starts a run, with a fresh budget for user patterns (:func:`kpolicy.patterns.start_run`);
    ``lint`` starts it before reading instead, since worker processes match patterns too.
    ``baseline``: apply the session's baseline (``lint`` does it later, with :func:`with_baseline`,
    once findings are on the files they are shown on and it knows the files it skipped).
    """
    if new_run:
        start_run()
    # a stable order, so that the CLI and the language server resolve duplicates alike
    all_objects = sorted(
        chain.from_iterable(f.objects for f in (*loaded, *context_files)), key=_INPUT_ORDER
    )
    index = (
        Index(all_objects, repo.relation, repo.relation_class)
        if repo is not None
        else Index(all_objects)
    )
    context = rule_context(session, index, nodes, run_schemas(session, index))
    engine = Engine(session.active, context, debug=debug)
    early = local if local is not None else [None] * len(loaded)
    origins = TemplateOrigins(str(base or os.getcwd()), session.limits.max_file_bytes)
    per_file = [
        _check_file(engine, file, session, found, origins)
        for file, found in zip(loaded, early, strict=True)
    ]
    kept: list[Diagnostic] = [d for d in extra if not d.suppressed]
    hidden: list[Diagnostic] = [d for d in extra if d.suppressed]
    traces: list[str] = []
    documents = 0
    objects = 0
    judges: dict[str, Suppressor] = {}
    blocks: list[tuple[str, list[Diagnostic], bool]] = []
    # the kept findings' lines of the JSON report, file by file (see _check_file)
    block_lines: list[list[str | Diagnostic] | None] = []
    for file, (file_kept, file_hidden, file_traces, judge, ordered, file_lines) in zip(
        loaded, per_file, strict=True
    ):
        documents += file.documents
        objects += len(file.objects)
        blocks.append((file.source.display, file_kept, ordered))
        block_lines.append(file_lines)
        kept.extend(file_kept)
        hidden.extend(file_hidden)
        traces.extend(file_traces)
        if judge is not None:
            judges[file.source.display] = judge
    if context_findings and context_files and loaded:
        for file in loaded:  # the files that had nothing to judge judge the moved findings
            if file.source.display not in judges:
                judges[file.source.display] = Suppressor(session.suppression, file)
        moved, moved_hidden = _context_findings(engine, loaded, context_files, judges, kept)
        kept.extend(moved)
        hidden.extend(moved_hidden)
        traces.extend(engine.traces[len(traces) :])
    for judge in judges.values():
        if judge.tracking:  # (a call a file saved: most files have no suppression to judge)
            _unused_suppressions(judge, kept, hidden)
    # only the files' own findings (none of the extra ones, a context object's or an unused
    # suppression): in the order of their files, each file's in order
    merged = in_report_order(blocks) if len(kept) == sum(len(b[1]) for b in blocks) else None
    lines: list[str | Diagnostic] | None = None
    if merged is not None:
        kept = merged
        if any(block_lines):
            lines = _lines_in_order(merged, blocks, block_lines)
    else:
        sort_findings(kept)
        if any(block_lines):
            lines = _lines_of(kept, zip((b[1] for b in blocks), block_lines, strict=True))
    sort_findings(hidden)
    errors_found, warnings_found, infos_found = _count_severities(kept)
    summary = Summary(
        files=len(loaded),
        documents=documents,
        objects=objects,
        errors=errors_found,
        warnings=warnings_found,
        infos=infos_found,
        suppressed=len(hidden),
    )
    diagnostics = tuple(kept)
    result = LintResult(
        diagnostics=diagnostics,
        suppressed=tuple(hidden),
        summary=summary,
        kubernetes_version=session.kubernetes_version,
        errors=tuple(errors),
        warnings=session.warnings,
        checked=tuple(
            CheckedFile(file.source.display, tuple(map(_REF, file.objects))) for file in loaded
        ),
        lines=(diagnostics, lines) if lines is not None else None,
    )
    if baseline:
        result = with_baseline(result, session, (f.source.display for f in loaded))
    engine.traces[:] = traces
    # a one-shot run's index, engine and their memos are freed as the process ends, not object
    # by object as this returns (:mod:`kpolicy.lifetime`)
    keep(index, engine, context, per_file, all_objects, blocks, block_lines, judges)
    return result, engine.traces


def _count_severities(found: Sequence[Diagnostic]) -> tuple[int, int, int]:
    """The errors, warnings and infos among ``found``, counted by identity (list.count): a
    Counter would hash each finding's Severity, a call of Enum.__hash__ in Python per finding.
    The severities are read by a comprehension (its attribute read is specialised for the
    slot: half the instructions of ``map(attrgetter(...))``), and only the findings that are
    not errors (a few of a run, as a rule) are compared with the other two, whose equality
    with an error is a string comparison (the members are strings)."""
    error = Severity.ERROR
    severities = [diag.severity for diag in found]
    errors = severities.count(error)
    if errors == len(severities):
        return errors, 0, 0
    others = [severity for severity in severities if severity is not error]
    return errors, others.count(Severity.WARNING), others.count(Severity.INFO)


def in_report_order(
    blocks: Sequence[tuple[str, list[Diagnostic], bool]],
) -> list[Diagnostic] | None:
    """The findings of ``blocks`` (each file's name, its kept findings, and whether they are
    in the order of the report already: :attr:`LocalFindings.ordered`) in the order of the
    report, as one stable sort of them all by :data:`SORT_KEY` orders them, or None where
    that sort is needed: the files' names must come in order, and each file's findings
    must all be on it. The key leads with the file, so every finding of one file comes
    after those of the files before it, and a file's findings, sorted alone, keep the order
    of their equals. Reading the key of every finding of the run, scattered over the parent's
    heap, was most of that sort; a worker sorts each file's findings while the workers run.
    A serial run's files are sorted here, each by :func:`kpolicy.model.sort_findings` (in
    C, without a key each: an attrgetter's seven lookups a finding and the tuples' comparisons
    were ~33M instructions of a many-findings run)."""
    merged: list[Diagnostic] = []
    previous = None
    key = sort_key()
    for display, found, ordered in blocks:
        if not found:
            continue
        if previous is not None and not previous < display:
            return None
        if not ordered:
            found = [*found]
            sort_findings(found)
            if key(found[0])[0] != display or key(found[-1])[0] != display:
                return None
        previous = display
        merged += found
    return merged


def _lines_in_order(
    merged: Sequence[Diagnostic],
    blocks: Sequence[tuple[str, list[Diagnostic], bool]],
    block_lines: Sequence[list[str | Diagnostic] | None],
) -> list[str | Diagnostic]:
    """The lines of ``merged``, the findings :func:`in_report_order` merged from ``blocks``:
    each block's lines (``block_lines``, aligned with its findings) where it took the block as
    it is, else (the block sorted there) found by their findings' identity."""
    lines: list[str | Diagnostic] = []
    start = 0
    for (_, found, ordered), found_lines in zip(blocks, block_lines, strict=True):
        end = start + len(found)
        if found_lines is None:
            lines += merged[start:end]
        elif ordered:
            lines += found_lines
        else:
            lines += _lines_of(merged[start:end], [(found, found_lines)])
        start = end
    return lines


def _lines_of(
    kept: Sequence[Diagnostic],
    parts: Iterable[tuple[list[Diagnostic], list[str | Diagnostic] | None]],
) -> list[str | Diagnostic]:
    """The lines of ``kept`` (in another order than ``parts``, findings with their lines, or
    with findings of none of them: a context object's, an unused suppression's): each one's
    line by its identity, or the finding itself."""
    known: dict[int, tuple[Diagnostic, str]] = {}
    for found, found_lines in parts:
        if found_lines is not None:
            for diag, line in zip(found, found_lines, strict=True):
                if isinstance(line, str):
                    known[id(diag)] = (diag, line)
    lines: list[str | Diagnostic] = []
    for diag in kept:
        taken = known.get(id(diag))
        lines.append(taken[1] if taken is not None and taken[0] is diag else diag)
    return lines


def _check_file(
    engine: Engine,
    file: LoadedFile,
    session: Session,
    local: LocalFindings | None = None,
    origins: TemplateOrigins | None = None,
) -> tuple[
    list[Diagnostic],
    list[Diagnostic],
    list[str],
    Suppressor | None,
    bool,
    list[str | Diagnostic] | None,
]:
    """The kept and suppressed diagnostics of one file, the tracebacks of failed rules, the
    file's suppressions (whose unused ones are found once findings moved from context
    files have been seen too), and whether the kept ones are in the order of the report
    (:func:`in_report_order`); with ``local``, the local pass's findings and only the checks
    it deferred; and, where the local pass rendered their JSON lines, the kept findings'
    lines: a kept finding's line where it is the very finding the worker rendered, else the
    finding itself (rendered when the report is written)."""
    kept: list[Diagnostic] = []
    hidden: list[Diagnostic] = []
    traced = len(engine.traces)
    prior: list[str] = list(local.traces) if local is not None else []
    more_of: dict[int, list[Diagnostic]] = {}
    if local is not None:
        # the deferred checks first; where they find nothing in a file without the loader's
        # findings, comments or annotations (a run without exemptions), each object's findings
        # are kept as the local pass found them, in its order, with their lines: nothing can
        # hide one, no suppression is judged (no Suppressor: None), nothing moves
        quick = (
            not file.diagnostics
            and not file.directives
            and not file.annotated
            and not session.suppression.exemptions
        )
        more_of, taken = _deferred_findings(engine, file, local, quick, origins is not None)
        if taken is not None:
            rendered_all = local.lines
            taken_lines: list[str | Diagnostic] | None = (
                list(rendered_all) if rendered_all and len(rendered_all) == len(taken) else None
            )
            traces = [*prior, *engine.traces[traced:]]
            return taken, hidden, traces, None, local.ordered, taken_lines
    judge = Suppressor(session.suppression, file)
    tracking = judge.tracking
    # nothing in the file or the config can hide a finding of an object without annotations:
    # its findings are kept as they are, without asking the judge about each (a file of the
    # many-findings corpus has dozens)
    open_file = not tracking and judge.hides_nothing
    for diag in file.diagnostics:
        if diag.rule not in session.active:
            continue
        active = session.active[diag.rule]
        if active.severity is not diag.severity:
            diag = _with_severity(diag, active.severity)
        if active.rule.rejects and not diag.rejects and active.rule.builtin:
            diag = replace(diag, rejects=True)  # yaml-duplicate-key: strict decoding
        _sort(diag, judge.suppression(diag), kept, hidden)
    # What the local pass put in order (LocalFindings.ordered) stays so where findings are
    # only kept or hidden; a part that changes here (the loader's findings, first, and an
    # object's once the deferred checks add some) is sorted, and compared with the findings
    # kept before and after it (``check``). Each such part sorted alone, the findings of
    # the file sort as before: the sort is stable and the parts are contiguous.
    ordered = local is not None and local.ordered
    display = file.source.display
    check = False
    if ordered and kept:
        sort_findings(kept)
        ordered = SORT_KEY(kept[0])[0] == display == SORT_KEY(kept[-1])[0]
        check = True
    generic = session.generic
    rendered = local.lines if local is not None and local.lines else None
    lines: list[str | Diagnostic] | None = list(kept) if rendered is not None else None
    at = 0  # the first line of the object's findings in ``rendered``
    given: list[Diagnostic] | None = None
    for position, obj in enumerate(file.objects):
        ignores: tuple[AnnotationIgnore, ...] | None = None
        changed = False
        if local is None:
            found = object_findings(obj, engine.run(obj), generic)
        else:
            # the local pass's findings are the reported ones already (object_findings)
            found, _, ignores = local.per_object[position]
            given = found
            at += len(found)
            more = more_of.get(position)  # (run above, each once)
            if more:
                found = object_findings(obj, [*found, *more], generic)
                if ordered:
                    sort_findings(found)
                    changed = True
        if not found and not tracking:
            continue
        if obj.template is not None and origins is not None:
            found = [origins.attach(d, obj) for d in found]
        if ignores is None:
            ignores = annotation_ignores(obj) if found or file.annotated else ()
        if tracking:
            judge.saw(position, obj, ignores)
        start = len(kept)
        if open_file and not ignores:
            kept.extend(found)
        else:
            for diag in found:
                _sort(diag, judge.suppression(diag, obj, ignores, position), kept, hidden)
        if lines is not None and len(kept) > start:
            if found is given and len(kept) - start == len(found) and rendered is not None:
                lines += rendered[at - len(found) : at]  # each kept as found: most objects
            elif not _kept_lines(found, given, rendered, at, kept, start, lines):
                lines = None  # (never so: then every line is rendered as it is written)
        if ordered and len(kept) > start:
            if changed:
                ordered = SORT_KEY(kept[start])[0] == display == SORT_KEY(kept[-1])[0]
            if check or changed:
                ordered = ordered and (
                    start == 0 or SORT_KEY(kept[start - 1]) <= SORT_KEY(kept[start])
                )
            check = changed
    if lines is not None and (len(lines) != len(kept) or at != len(rendered or ())):
        lines = None  # (never so, as above)
    return kept, hidden, [*prior, *engine.traces[traced:]], judge, ordered, lines


def _deferred_findings(
    engine: Engine, file: LoadedFile, local: LocalFindings, quick: bool, placed: bool
) -> tuple[dict[int, list[Diagnostic]], list[Diagnostic] | None]:
    """What the checks the local pass deferred find on each object of ``file``, by its
    position (an object they find nothing on is not in it), run in the order of the objects;
    and, ``quick`` (nothing in the file or the run can hide a finding, nor is any suppression
    judged), where they find nothing and no object with findings has annotations or
    (``placed``: findings are placed on their templates) a Helm template, the file's kept
    findings: each object's as the local pass found them, in its order; else None."""
    more_of: dict[int, list[Diagnostic]] = {}
    objects = file.objects
    run_deferred = engine.run_deferred
    taken: list[Diagnostic] | None = [] if quick else None
    for position, (found, deferred, ignores) in enumerate(local.per_object):
        if deferred:
            more = run_deferred(objects[position], deferred)
            if more:
                more_of[position] = more
                taken = None
        if found and taken is not None:
            if ignores or (placed and objects[position].template is not None):
                taken = None
            else:
                taken += found
    return more_of, taken


def _kept_lines(
    found: list[Diagnostic],
    given: list[Diagnostic] | None,
    rendered: Sequence[str] | None,
    end: int,
    kept: list[Diagnostic],
    start: int,
    lines: list[str | Diagnostic],
) -> bool:
    """The lines of ``kept[start:]``, the kept ones of an object's findings ``found``, onto
    ``lines``: where ``found`` is the local pass's own list (``given``, whose lines end at
    ``end`` in ``rendered``), each kept finding (the very object: only the hidden ones are
    changed, and left) has its line; where ``found`` is a new list, each of its findings that
    is one of ``given`` has its line; else they are the findings themselves. False where the
    kept ones are not those of ``found`` in its order (then no line can be told)."""
    if given is None or rendered is None:
        lines += kept[start:]
        return True
    begin = end - len(given)
    if found is not given:
        # a new list (a deferred check found more, or a template's origin is on each): the
        # line of each finding that is one of the local pass's, by its identity
        known = {id(diag): at for at, diag in enumerate(given, begin)}
        for diag in kept[start:]:
            at = known.get(id(diag))
            lines.append(rendered[at] if at is not None and given[at - begin] is diag else diag)
        return True
    if len(kept) - start == len(found):  # every one kept, as they were found
        lines += rendered[begin:end]
        return True
    taken = iter(kept[start:])
    wanted = next(taken, None)
    for diag, line in zip(found, rendered[begin:end], strict=True):
        if diag is wanted:
            lines.append(line)
            wanted = next(taken, None)
    return wanted is None


def _unused_suppressions(
    judge: Suppressor, kept: list[Diagnostic], hidden: list[Diagnostic]
) -> None:
    """The file's ``unused-suppression`` findings, once every finding on it has been seen."""
    if judge.tracking:
        for diag, owner, ignores in judge.unused():
            _sort(diag, judge.suppression(diag, owner, ignores), kept, hidden)


def _sort(
    diag: Diagnostic,
    suppression: Suppression | None,
    kept: list[Diagnostic],
    hidden: list[Diagnostic],
) -> None:
    if suppression is None:
        kept.append(diag)
    else:
        hidden.append(replace(diag, suppression=suppression))


def _context_findings(
    engine: Engine,
    loaded: Sequence[LoadedFile],
    context_files: Sequence[LoadedFile],
    judges: Mapping[str, Suppressor],
    kept: Sequence[Diagnostic],
) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """Findings on ``--context`` objects that a reported file causes: a finding whose related
    location is in a reported file is shown there, with the context object's place as its
    related location (a Service made non-headless breaks the StatefulSet that names it, in a
    file that pre-commit did not stage). Only the rules that relate objects run (not the
    schema), on the context objects of the reported objects' namespaces; a finding already
    shown at the same place for the same rule is not repeated. A comment on its new line in
    the reported file, or the context object's annotation or exemption, suppresses it."""
    reported = {f.source.display for f in loaded}
    namespaces = {scope_namespace(o) for f in loaded for o in f.objects}
    taken = {(d.rule, d.file, d.span) for d in kept}
    shown: list[Diagnostic] = []
    hidden: list[Diagnostic] = []
    for file in context_files:
        for obj in file.objects:
            if obj.patch or scope_namespace(obj) not in namespaces:
                continue
            hook = is_hook(obj.data)
            for diag in engine.run(obj, only=engine.relating_steps(engine.key_of(obj))):
                if (diag.rule in PATCH_EXEMPT_RULES and obj.patch) or (
                    hook and diag.rule in HOOK_EXEMPT_RULES
                ):
                    continue
                here = next((r for r in diag.related if r.file in reported), None)
                if here is None or (diag.rule, here.file, here.span) in taken:
                    continue
                taken.add((diag.rule, here.file, here.span))
                subject = diag.object.label() if diag.object is not None else "the object"
                moved = replace(
                    diag,
                    file=here.file,
                    span=here.span,
                    path="",
                    found_at=(diag.file, diag.path),
                    related=(
                        RelatedLocation(
                            diag.file, diag.span, f"{subject}, which this breaks", diag.object
                        ),
                        *(r for r in diag.related if r is not here),
                    ),
                )
                judge = judges[here.file]
                _sort(moved, judge.suppression(moved, obj, annotation_ignores(obj)), shown, hidden)
    return shown, hidden


def _with_severity(diag: Diagnostic, severity: Severity) -> Diagnostic:
    return replace(diag, severity=severity)
