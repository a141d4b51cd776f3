"""Schema validation against the bundled Kubernetes OpenAPI (see ``kpolicy/schema.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import cache, partial

from kpolicy.checks import Reads, RuleContext, check
from kpolicy.engine import Positioned, direct, positioned
from kpolicy.fix import quote_value, rename_key
from kpolicy.kustomizenames import is_directive_key
from kpolicy.model import (
    Anchor,
    Diagnostic,
    Fix,
    KObject,
    Path,
    Problem,
    Severity,
    diagnostic,
    diagnostic_maker,
    to_pointer,
)
from kpolicy.patterns import PATTERN_TIMEOUT
from kpolicy.records import record_slots
from kpolicy.schema import (
    RULE_ENUM_INVALID,
    RULE_REQUIRED_MISSING,
    RULE_UNKNOWN_FIELD,
    RULE_VALUE_INVALID,
    SCHEMA_RULES,
    served_minors,
)
from kpolicy.versions import minor

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final

    from kpolicy.schema.problems import ProblemFields

# What validation (not decoding) rejects; a StatefulSet's pod spec and claim templates were not
# validated on create before 1.34 (see kpolicy.checks.podspec): the StatefulSet was accepted.
_VALIDATED: Final = frozenset({RULE_ENUM_INVALID, RULE_VALUE_INVALID, RULE_REQUIRED_MISSING})
_UNVALIDATED_BEFORE_34: Final = (("spec", "template", "spec"), ("spec", "volumeClaimTemplates"))


def is_patch(obj: KObject, ctx: RuleContext) -> bool:
    """A kustomize patch is a fragment applied onto another object, never on its own (named
    as one by a kustomization, or holding a strategic-merge directive: ``KObject.patch``)."""
    return ctx.index.is_kustomize_patch(obj)


# policy-pattern-timeout: a CRD's pattern that timed out on a custom resource's value (the
# declarative checks of policies report it too, see kpolicy.policy and Engine._plan)
@check(*SCHEMA_RULES, PATTERN_TIMEOUT, reads=Reads.SCHEMAS)
def schema(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    for rule, path, message, at, _, fix, rejects in schema_findings(obj, ctx):
        yield Problem(path, message, at, (), fix, rule, rejects)


if TYPE_CHECKING:
    # a problem the schema check reports: rule, path, message, anchor, its node's record in the
    # object's compact position table (-1: looked up), the key to rename to, whether quoting
    # fixes it, and whether the API server rejects it (None: as the rule says)
    Kept = tuple[str, Path, str, Anchor, int, str | None, bool, bool | None]


def _schema_problems(obj: KObject, ctx: RuleContext) -> list[Kept]:
    """The schema problems of ``obj`` that the check reports, with what each finding needs;
    shared by :func:`schema_findings` and :func:`schema_diagnostics`."""
    fields = _problem_fields(obj, ctx)
    if not fields:
        return []
    return _kept(obj, ctx, fields)


def _problem_fields(obj: KObject, ctx: RuleContext) -> list[ProblemFields]:
    """The schema problems of ``obj`` as the validator gives them."""
    validator = ctx.schemas
    if validator is None:
        return []
    # A missing spec.selector lands on `spec:` like selector-missing's finding, and the
    # pipeline keeps only the specific rule's finding there (lint.post.drop_generic_duplicates).
    # (a names-only or packed object of a parallel run is no dict: walked, as before)
    plain = obj.plain and obj.data.__class__ is dict
    places = None
    if plain:
        # the records of the object's own nodes: a problem's span is read from its record
        table = obj.positions
        record = table.record_at(obj.base, obj.data)
        if record >= 0:
            places = (table.sizes(), table.irregular, record)
    # each problem as its fields (SchemaProblem's, without making the record)
    return validator.problem_fields(obj.data, plain=plain, places=places)


def _as_the_rule_says(obj: KObject, ctx: RuleContext) -> bool:
    """Whether every problem of ``obj`` is kept as its rule says (most objects): not a
    kustomize patch, nor a StatefulSet of a release that did not validate parts of it."""
    return not obj.patch and not _unvalidated(obj, ctx)


def _unvalidated(obj: KObject, ctx: RuleContext) -> bool:
    """Whether ``obj`` is a StatefulSet of a release whose API server did not validate its pod
    spec and claim templates on create (before 1.34: ``_UNVALIDATED_BEFORE_34``)."""
    return obj.kind == "StatefulSet" and minor(ctx.kubernetes_version) < 34


def _kept(obj: KObject, ctx: RuleContext, fields: list[ProblemFields]) -> list[Kept]:
    """``fields`` (not empty) as the check reports them."""
    if _as_the_rule_says(obj, ctx):
        # (most objects: every problem is kept as the rule says)
        return [
            (rule, path, message, at, record, rename, quote, None)
            for rule, path, at, message, rename, quote, record in fields
        ]
    unvalidated = _unvalidated(obj, ctx)
    patch = obj.patch
    kept: list[Kept] = []
    for rule, path, at, message, rename, quote, record in fields:
        if patch:
            # a kustomize patch says only what it changes (the rest is the resource's), and
            # its strategic-merge directives are kustomize's, not fields of the kind
            if rule == RULE_REQUIRED_MISSING:
                continue
            if rule == RULE_UNKNOWN_FIELD and path and is_directive_key(path[-1]):
                continue
        rejects: bool | None = None
        if (
            unvalidated
            and rule in _VALIDATED
            and any(tuple(path[: len(prefix)]) == prefix for prefix in _UNVALIDATED_BEFORE_34)
        ):
            rejects = False
        kept.append((rule, path, message, at, record, rename, quote, rejects))
    return kept


@positioned(schema)
def schema_findings(obj: KObject, ctx: RuleContext) -> Iterator[Positioned]:
    """The findings of :func:`schema`, each with its span when the explainer knew its node's
    record in the object's compact position table (the engine looks the others up)."""
    span_of = obj.positions.span_of
    for rule, path, message, at, record, rename, quote, rejects in _schema_problems(obj, ctx):
        yield (
            rule,
            path,
            message,
            at,
            span_of(record, at) if record >= 0 else None,
            _fix(obj, path, rename, quote) if ctx.fixes else None,
            rejects,
        )


@direct(schema)
def schema_diagnostics(
    obj: KObject,
    ctx: RuleContext,
    reports: Mapping[str, Severity],
    rejecting: frozenset[str],
    found: list[Diagnostic],
) -> None:
    """The diagnostics the engine makes of :func:`schema_findings` (``Engine._run_positioned``),
    made here from the same problems: the same fields, in the same order, computed in the same
    order (a finding of a rule not reported has its span and fix made too, as before)."""
    fields = _problem_fields(obj, ctx)
    if not fields:
        return
    fixes = ctx.fixes
    # (spans(): span_of in one call where the C extension is built; a finding each)
    display, ref, span_of = obj.source.display, obj.ref, obj.positions.spans()
    if _as_the_rule_says(obj, ctx):
        # (most objects: each problem's fields as they come, none dropped)
        rows = _rows()
        if rows is not None and reports.__class__ is dict:
            # the loop below in C, the same calls in the same order
            rows[0](
                fields,
                span_of,
                partial(_fix, obj) if fixes else None,
                reports,
                _POINTERS,
                _keep_pointer,
                to_pointer,
                obj.span_at,
                rows[1],
                display,
                ref,
                rejecting,
                found,
            )
            return
        pointers_get = _POINTERS.get
        make = diagnostic_maker()
        for rule, path, at, message, rename, quote, record in fields:
            span = span_of(record, at) if record >= 0 else None
            fix = _fix(obj, path, rename, quote) if fixes else None
            severity = reports.get(rule)
            if severity is None:
                continue  # not enabled, or the rule does not apply to this kind
            if record >= 0:
                pointer = pointers_get(path)
                if pointer is None:
                    pointer = _keep_pointer(path)
            else:
                pointer = to_pointer(path)
            found.append(
                make(
                    rule,
                    severity,
                    message,
                    display,
                    span if span is not None else obj.span_at(pointer, at),
                    pointer,
                    ref,
                    (),
                    fix,
                    None,  # suppression
                    rule in rejecting,
                    None,  # origin
                    None,  # found_at
                )
            )
        return
    for rule, path, message, anchor, record, rename, quote, rejects in _kept(obj, ctx, fields):
        span = span_of(record, anchor) if record >= 0 else None
        fix = _fix(obj, path, rename, quote) if fixes else None
        severity = reports.get(rule)
        if severity is None:
            continue  # not enabled, or the rule does not apply to this kind
        pointer = to_pointer(path)
        found.append(
            diagnostic(
                rule,
                severity,
                message,
                display,
                span if span is not None else obj.span_at(pointer, anchor),
                pointer,
                ref,
                (),
                fix,
                None,  # suppression
                rule in rejecting if rejects is None else rejects,
            )
        )


@cache
def _rows() -> tuple[Callable[..., None], tuple[object, ...]] | None:
    """The C extension's ``schema_diagnostics`` (schema_diagnostics's loop over an object's
    problems when each is kept as its rule says) and the slots it makes a Diagnostic of
    (:func:`kpolicy.records.record_slots`); None where they are not built."""
    slots = record_slots(Diagnostic)
    if slots is None:
        return None
    from kpolicy import _cload  # type: ignore[attr-defined,unused-ignore]

    rows = getattr(_cload, "schema_diagnostics", None)
    return None if rows is None else (rows, slots)


# the path of a problem with a record (found by the compiled explainer in what the loader
# built: its tokens are the loader's string keys and the explainer's int indexes, so an equal
# path is written alike) → its pointer; the paths of a run's findings come again across its
# objects, each a new tuple (to_pointer tells a kept path's tokens apart by identity)
_POINTERS: dict[Path, str] = {}
_POINTERS_KEPT: Final = 16_384


def _keep_pointer(path: Path) -> str:
    pointer = to_pointer(path)
    if len(_POINTERS) >= _POINTERS_KEPT:
        _POINTERS.clear()
    _POINTERS[path] = pointer
    return pointer


def _fix(obj: KObject, path: Path, rename: str | None, quote: bool) -> Fix | None:
    if rename is not None and path:
        return rename_key(obj, path, rename, f"Rename {path[-1]} to {rename}")
    if quote and path:
        return quote_value(obj, path, "Quote the value: this field takes a string")
    return None


@check("schema-unknown-kind", reads=Reads.SCHEMAS)
def unknown_kind(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
    validator = ctx.schemas
    if validator is None or obj.kind.endswith("List"):
        return
    api_version = obj.data.get("apiVersion")
    if validator.has_schema(api_version, obj.kind):
        return
    served = served_minors(api_version, obj.kind) if isinstance(api_version, str) else ()
    if served:
        # a built-in kind of other releases (added later, or removed: api-version-removed)
        releases = f"1.{served[0]}" if len(served) == 1 else f"1.{served[0]} to 1.{served[-1]}"
        yield Problem(
            ("kind",),
            f"{api_version} {obj.kind} is not served by Kubernetes {ctx.kubernetes_version} "
            f"(a built-in kind of Kubernetes {releases}): it is not validated",
        )
        return
    yield Problem(
        ("kind",),
        f"no schema for {api_version} {obj.kind}: it is not validated "
        "(give its CustomResourceDefinition as input or --context, or --schema-dir)",
    )
