"""Post-processing of findings: generic duplicates dropped, ``--kustomize`` findings placed on their sources, the baseline applied, the exit code."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence, Set
from functools import cache

from kpolicy.discover import Input
from kpolicy.engine import INTERNAL_ERROR
from kpolicy.helm import is_hook
from kpolicy.kustomizenames import PATCH_EXEMPT_RULES
from kpolicy.lint.inputs import KustomizeBuild, read_input
from kpolicy.lint.session import Session
from kpolicy.model import (
    SORT_KEY,
    Diagnostic,
    KObject,
    Limits,
    LintResult,
    LoadedFile,
    RelatedLocation,
    Severity,
    Span,
    Suppression,
    sort_key,
)
from kpolicy.records import replace


def with_baseline(result: LintResult, session: Session, covered: Iterable[str]) -> LintResult:
    """``result`` with the session's baseline applied (when there is one): the findings it
    lists move to ``baselined``, and its entries that match none are ``fixed_baseline`` when
    the run covered their file (``covered``: the files linted or skipped, as displayed)."""
    baseline = session.baseline
    if baseline is None:  # (kpolicy.baseline is imported only by a run with a baseline)
        return result
    from kpolicy.baseline import apply_baseline

    kept, listed, fixed = apply_baseline(
        baseline,
        result.diagnostics,
        covered,
        session.active,
        session.rules,
        session.cwd,
    )
    because = Suppression("baseline", f"listed in the baseline {baseline.path}")
    baselined = tuple(replace(d, suppression=because) for d in listed)
    counts = {s: 0 for s in Severity}
    for diag in kept:
        counts[diag.severity] += 1
    summary = replace(
        result.summary,
        errors=counts[Severity.ERROR],
        warnings=counts[Severity.WARNING],
        infos=counts[Severity.INFO],
        baselined=len(baselined),
        fixed_baseline_entries=len(fixed),
    )
    diagnostics = tuple(kept)
    return replace(
        result,
        diagnostics=diagnostics,
        lines=_kept_lines(result, diagnostics),
        baselined=baselined,
        fixed_baseline=tuple(fixed),
        baseline_file=str(baseline.path),
        summary=summary,
    )


def _kept_lines(
    result: LintResult, kept: tuple[Diagnostic, ...]
) -> tuple[tuple[Diagnostic, ...], list[str | Diagnostic]] | None:
    """:attr:`LintResult.lines` of ``kept``, some of ``result``'s findings in their order
    (those the baseline does not list): the line of each, where ``result`` has one."""
    given = result.lines
    if given is None or given[0] is not result.diagnostics or len(given[1]) != len(given[0]):
        return None
    taken = iter(kept)
    wanted = next(taken, None)
    lines: list[str | Diagnostic] = []
    for diag, line in zip(given[0], given[1], strict=False):  # of the same length
        if diag is wanted:
            lines.append(line)
            wanted = next(taken, None)
    return (kept, lines) if wanted is None else None


def source_displays(builds: Sequence[KustomizeBuild], base: str) -> list[str]:
    """The source files of the built objects, as :func:`placed_on_sources` shows them."""
    return [_display_under(o.file, base) for b in builds for o in b.origins.values()]


def _display_under(path: str, base: str) -> str:
    return os.path.relpath(path, base) if path.startswith(base + os.sep) else path


def placed_on_sources(
    result: LintResult, builds: Sequence[KustomizeBuild], base: str, limits: Limits
) -> LintResult:
    """Findings on built objects moved to the source file of each object (kustomize's origin
    annotation), at the same key there when it exists, else at its nearest parent; the place
    in the build output is kept as a related location."""
    by_display = {b.loaded.source.display: b for b in builds}
    sources: dict[str, LoadedFile | None] = {}

    def source_of(path: str) -> LoadedFile | None:
        if path not in sources:
            found = read_input(Input(_display_under(path, base), path), False, limits, None)
            sources[path] = found if isinstance(found, LoadedFile) else None
        return sources[path]

    def place(diag: Diagnostic) -> Diagnostic:
        build = by_display.get(diag.file)
        if build is None or diag.object is None:
            return diag
        ref = diag.object
        origin = build.origins.get((ref.kind or "", ref.namespace or "default", ref.name or ""))
        if origin is None:
            return diag
        source = source_of(origin.file)
        if source is None:
            return diag
        span = Span.point(1, 1)
        if not origin.generated:
            same_kind = [o for o in source.objects if o.kind == ref.kind]
            named = [o for o in same_kind if o.name and o.name in (ref.name or "")]
            match = same_kind if len(same_kind) == 1 else named
            if len(match) == 1:
                target = match[0]
                span = target.positions.resolve(target.base + diag.path)[0]
        return replace(
            diag,
            file=source.source.display,
            span=span,
            related=(
                RelatedLocation(diag.file, diag.span, "where kustomize build puts it", diag.object),
                *diag.related,
            ),
        )

    diagnostics = tuple(sorted((place(d) for d in result.diagnostics), key=SORT_KEY))
    suppressed = tuple(sorted((place(d) for d in result.suppressed), key=SORT_KEY))
    return replace(result, diagnostics=diagnostics, suppressed=suppressed)


# Helm hooks and tests run around a release, not with it: the rules that relate a workload to
# the Services, budgets, autoscalers and other workloads of the release leave them out
HOOK_EXEMPT_RULES = frozenset(
    {
        "selector-overlap",
        "service-selector-no-match",
        "service-target-port-unknown",
        "pdb-missing",
        "pdb-blocks-all-evictions",
        "replicas-set-with-hpa",
    }
)


def object_findings(obj: KObject, found: list[Diagnostic], generic: Set[str]) -> list[Diagnostic]:
    """Of the findings of the checks run on ``obj``, those the run reports (before
    suppressions): none of :data:`PATCH_EXEMPT_RULES` on a kustomize patch, none of
    :data:`HOOK_EXEMPT_RULES` on a Helm hook, no generic duplicate
    (:func:`drop_generic_duplicates`). A worker applies it to the findings of its local pass
    and the parent again once the checks deferred to it add some: findings the local pass
    dropped would be dropped from the whole list too."""
    if not found:
        return found
    if obj.patch:
        found = [d for d in found if d.rule not in PATCH_EXEMPT_RULES]
    elif is_hook(obj.data):
        found = [d for d in found if d.rule not in HOOK_EXEMPT_RULES]
    return drop_generic_duplicates(found, generic)


def drop_generic_duplicates(found: list[Diagnostic], generic: Set[str]) -> list[Diagnostic]:
    """A schema finding (a rule of ``generic``, :attr:`Session.generic`) at the same place as
    a specific rule's finding says the same thing less well (an enum error vs.
    toleration-invalid's reason): keep the specific one."""
    if len(found) < 2:
        return found
    fast = _c_duplicates()
    if fast is not None:
        # (in C: the same list, found itself where nothing is dropped; None for a finding of
        # other types, decided below)
        kept: list[Diagnostic] | None = fast(found, generic)
        if kept is not None:
            return kept
    specific = {(d.span.line, d.span.column) for d in found if d.rule not in generic}
    if not specific:
        return found
    return [
        d for d in found if d.rule not in generic or (d.span.line, d.span.column) not in specific
    ]


@cache
def _c_duplicates() -> Callable[[list[Diagnostic], Set[str]], list[Diagnostic] | None] | None:
    """The C extension's ``generic_duplicates`` (drop_generic_duplicates's two loops over an
    object's findings, most of them mixed with a specific rule's in the many-findings
    corpus), which reads the slots :func:`kpolicy.model.sort_key` sets up; None where it is
    not built."""
    if sort_key() is SORT_KEY:
        return None
    from kpolicy import _cload  # type: ignore[attr-defined,unused-ignore]

    made: Callable[[list[Diagnostic], Set[str]], list[Diagnostic] | None] | None = getattr(
        _cload, "generic_duplicates", None
    )
    return made


def as_baselined(result: LintResult, baseline_file: str) -> LintResult:
    """``result`` as reported with a baseline that lists every one of its findings (the run
    that has just written that baseline)."""
    listed = tuple(
        replace(d, suppression=Suppression("baseline", f"listed in the baseline {baseline_file}"))
        for d in result.diagnostics
    )
    summary = replace(
        result.summary,
        errors=0,
        warnings=0,
        infos=0,
        baselined=len(listed),
        fixed_baseline_entries=0,
    )
    return replace(
        result,
        diagnostics=(),
        baselined=listed,
        fixed_baseline=(),
        baseline_file=baseline_file,
        summary=summary,
    )


def exit_code(result: LintResult, fail_on: str) -> int:
    """2 for a usage or I/O error, 3 when a rule failed (an ``internal-error`` finding: a bug in
    kpolicy, whatever ``--fail-on`` says), 1 for findings at or above ``fail_on``, else 0."""
    if result.errors:
        return 2
    if any(d.rule == INTERNAL_ERROR for d in result.diagnostics):
        from kpolicy.entry import INTERNAL_ERROR_EXIT

        return INTERNAL_ERROR_EXIT
    if fail_on == "never":
        return 0
    threshold = Severity.parse(fail_on).rank
    return 1 if any(d.severity.rank >= threshold for d in result.diagnostics) else 0
