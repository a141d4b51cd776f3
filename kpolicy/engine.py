"""Run the enabled rules on the reported objects and turn problems into diagnostics."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence

from kpolicy.checks import Check, CheckFn, Reads, RuleContext, registry, relating_rules
from kpolicy.k8s.apis import dispatch_kind
from kpolicy.k8s.podtemplates import configured_kinds
from kpolicy.model import (
    Diagnostic,
    KObject,
    Problem,
    RelatedLocation,
    Severity,
    diagnostic_maker,
    to_pointer,
)
from kpolicy.patterns import PATTERN_TIMEOUT
from kpolicy.policy import declarative_check
from kpolicy.records import field, record, replace
from kpolicy.ruledefs import RuleDef
from kpolicy.workload import checked_now, checking, custom_layout

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

INTERNAL_ERROR = "internal-error"
_OBJECT = Reads.OBJECT
_INDEX = Reads.INDEX
# the plan key of a custom pod-template kind (a kind name never starts with it)
POD_TEMPLATE_KEY = "\0pod-template:"


if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from kpolicy.model import Anchor, Fix, Path, Span

    # a finding as a positioned check yields it (see positioned): rule id, path, message,
    # anchor, its span (None: looked up from the path), fix, rejects (None: the rule's)
    Positioned = tuple[str, Path, str, Anchor, Span | None, Fix | None, bool | None]
    PositionedFn = Callable[[KObject, RuleContext], Iterator[Positioned]]
    # a check's findings made as diagnostics (see direct): the object, the check's context,
    # the ids it may report with their severity, the ids whose findings reject, and where
    # the diagnostics go
    DirectFn = Callable[
        [KObject, RuleContext, Mapping[str, Severity], frozenset[str], list[Diagnostic]], None
    ]
else:
    Positioned = tuple

# a check → the same findings as positioned ones, which the engine runs instead of it
_POSITIONED: dict[CheckFn, PositionedFn] = {}
# a check → the same diagnostics, made by the check itself, run instead of both
_DIRECT: dict[CheckFn, DirectFn] = {}


def positioned(check_fn: CheckFn) -> Callable[[PositionedFn], PositionedFn]:
    """Register the decorated function as ``check_fn``'s findings, yielded as ``Positioned``
    tuples (in its order, with the same rule, path, message, anchor, fix and rejects), each
    with its span where it knows it for less than a lookup of its path: the engine makes
    their diagnostics directly, without a ``Problem`` each."""

    def register(fn: PositionedFn) -> PositionedFn:
        _POSITIONED[check_fn] = fn
        return fn

    return register


def direct(check_fn: CheckFn) -> Callable[[DirectFn], DirectFn]:
    """Register the decorated function as the maker of ``check_fn``'s diagnostics: it appends
    to the list it is given, in its order, the diagnostics that ``_run_positioned`` makes of
    the check's positioned findings (the same fields, the same order, the same exceptions),
    without a finding tuple between them."""

    def register(fn: DirectFn) -> DirectFn:
        _DIRECT[check_fn] = fn
        return fn

    return register


@record(frozen=True, slots=True)
class _Step:
    """One check as run on objects of one kind."""

    fn: CheckFn
    context: RuleContext
    default_rule: str  # the id of a problem that names none
    reports: Mapping[str, Severity]  # the ids it may report on this kind, with their severity
    label: str  # the enabled ids, for internal-error messages
    rejecting: frozenset[str] = frozenset()  # the ids whose findings say the object is refused
    reads: Reads = Reads.OBJECT
    positioned: PositionedFn | None = None  # run instead of fn (see positioned)
    direct: DirectFn | None = None  # run instead of both (see direct)


@record(frozen=True, slots=True)
class _Steps:
    """A kind's plan as run() takes it, worked out once: every step with its position, and
    what a local pass runs (in the plan's order) and defers, when the object's schema is read
    there and when it is not (a custom kind's: a definition in another file may give it)."""

    numbered: tuple[tuple[int, _Step], ...]
    local: tuple[tuple[int, _Step], ...]  # the steps that read no other object
    deferred: tuple[int, ...]  # the positions of those that do
    alone: tuple[tuple[int, _Step], ...]  # the steps that read their object alone
    alone_deferred: tuple[int, ...]  # the positions of the others
    schema_step: _Step | None  # the first step that reads the schema (None: none does)


@record(frozen=True)
class ActiveRule:
    rule: RuleDef
    severity: Severity
    params: Mapping[str, Any]


@record
class Engine:
    """Rules grouped by kind once; ``run`` is called per object."""

    active: Mapping[str, ActiveRule]
    context: RuleContext
    debug: bool = False
    traces: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        checks = registry()
        # kind → [(check, the enabled ids it may report)]
        self._by_kind: dict[str, list[tuple[Check, frozenset[str]]]] = defaultdict(list)
        self._any_kind: list[tuple[Check, frozenset[str]]] = []
        # the checks that also run on custom pod-template kinds (RuleDef.pod_templates)
        self._pod_template_checks: list[tuple[Check, frozenset[str]]] = []
        # rule id → the context of its check, made when a plan first needs it
        self._contexts: dict[str, RuleContext] = {}
        grouped: dict[int, tuple[Check, set[str]]] = {}
        for rule_id, active in self.active.items():
            entry = checks.get(rule_id)
            if entry is None and active.rule.check is not None:
                entry = Check((rule_id,), declarative_check(active.rule))
            if entry is None:
                continue  # loader rules (yaml-syntax, ...) have no per-object logic
            grouped.setdefault(id(entry), (entry, set()))[1].add(rule_id)
        for entry, ids in grouped.values():
            kinds: set[str] = set()
            for rule_id in ids:
                kinds |= self.active[rule_id].rule.kinds
            frozen = frozenset(ids)
            if "*" in kinds:
                self._any_kind.append((entry, frozen))
            else:
                for kind in kinds:
                    self._by_kind[kind].append((entry, frozen))
                if any(self.active[rule_id].rule.pod_templates for rule_id in ids):
                    self._pod_template_checks.append((entry, frozen))
        # kind → what run() needs per check, worked out on the first object of that kind
        self._plans: dict[str, tuple[_Step, ...]] = {}
        # kind → its plan's steps as run() takes them (see _Steps)
        self._ordered: dict[str, _Steps] = {}
        self._relating: dict[str, frozenset[int]] = {}
        # (kind, positions) → the steps run_deferred runs (see select)
        self._selected: dict[tuple[str, tuple[int, ...]], tuple[tuple[int, _Step], ...]] = {}
        # kind → its plan's checks, in the plan's order (see _entries)
        self._entries: dict[str, tuple[tuple[Check, frozenset[str]], ...]] = {}
        # (kind, position) → its step, made alone (see select)
        self._made: dict[tuple[str, int], _Step] = {}
        # (apiVersion, kind) → key_of, for the custom pod-template kinds of _keys_under
        self._keys: dict[tuple[str, str], str] = {}
        self._keys_under: tuple[object, ...] | None = None
        # (check, its enabled ids, the ids it reports on a kind) → its step (see _step)
        self._steps: dict[tuple[object, ...], _Step] = {}
        # id(check) → its step in every plan, for a check whose ids all apply to every kind
        self._everywhere: dict[int, _Step] = {}

    def _entries_of(self, key: str) -> tuple[tuple[Check, frozenset[str]], ...]:
        """The checks of ``key``'s plan, each with the enabled ids it may report, in the
        plan's order: a step's position in the plan is its entry's here."""
        found = self._entries.get(key)
        if found is None:
            custom = key.startswith(POD_TEMPLATE_KEY)
            kind = key[len(POD_TEMPLATE_KEY) :] if custom else key
            entries = [*self._by_kind.get(kind, ())]
            if custom:
                entries.extend(e for e in self._pod_template_checks if e not in entries)
            found = self._entries[key] = (*entries, *self._any_kind)
        return found

    def _plan(self, key: str) -> tuple[_Step, ...]:
        """The steps for objects of ``key``: a kind, or ``POD_TEMPLATE_KEY`` + a kind for a
        custom pod-template kind (the rules of that kind and those with ``pod_templates``)."""
        plan = tuple(self._step(key, entry, ids) for entry, ids in self._entries_of(key))
        self._plans[key] = plan
        self._ordered.pop(key, None)  # made again from this plan
        return plan

    def _step(self, key: str, entry: Check, ids: frozenset[str]) -> _Step:
        """The step of ``entry`` (reporting ``ids``) in ``key``'s plan: made once for all the
        kinds on which the check reports the same ids (the checks of every kind are in every
        kind's plan; each process of a run makes the plans of the kinds it sees)."""
        custom = key.startswith(POD_TEMPLATE_KEY)
        everywhere = self._everywhere.get(id(entry))
        if everywhere is not None:
            return everywhere
        kind = key[len(POD_TEMPLATE_KEY) :] if custom else key
        active = self.active
        # rule id → severity, for the ids this check may report on this kind
        reports = {
            rule_id: active[rule_id].severity
            for rule_id in ids
            if active[rule_id].rule.applies_to(kind, custom)
        }
        # a policy's pattern that timed out is reported by the policy's own check
        timeout = active.get(PATTERN_TIMEOUT)
        if timeout is not None:
            reports.setdefault(PATTERN_TIMEOUT, timeout.severity)
        # all the rest is the same for the same check, ids and reported ids (in their order)
        same = (id(entry), ids, *reports)
        made = self._steps.get(same)
        if made is None:
            made = self._steps[same] = self._new_step(entry, ids, reports)
            if all("*" in active[rule_id].rule.kinds for rule_id in ids):
                self._everywhere[id(entry)] = made  # the same step in every plan
        return made

    def _new_step(self, entry: Check, ids: frozenset[str], reports: dict[str, Severity]) -> _Step:
        primary = entry.rules[0] if len(entry.rules) == 1 else next(iter(sorted(ids)))
        rejecting = frozenset(
            rule_id
            for rule_id in reports
            if rule_id in self.active
            and self.active[rule_id].rule.rejects
            and self.active[rule_id].rule.builtin
        )
        context = self._contexts.get(primary)
        if context is None:
            context = self._contexts[primary] = replace(
                self.context, params=self.active[primary].params
            )
        return _Step(
            entry.fn,
            context,
            entry.rules[0],
            reports,
            ",".join(sorted(ids)),
            rejecting,
            entry.reads,
            _POSITIONED.get(entry.fn),
            _DIRECT.get(entry.fn),
        )

    @staticmethod
    def key_of(obj: KObject) -> str:
        """Which plan runs on ``obj``: its kind; ``""`` (only the rules of every kind) for a
        built-in kind under a group version that does not serve it; for a custom pod-template
        kind (:mod:`kpolicy.k8s.podtemplates`), its kind marked with ``POD_TEMPLATE_KEY``."""
        kind = dispatch_kind(obj.data.get("apiVersion"), obj.kind)
        if kind and custom_layout(obj) is not None:
            return POD_TEMPLATE_KEY + kind
        return kind

    def _key(self, obj: KObject) -> str:
        """``key_of(obj)``, remembered by apiVersion and kind (all it reads, with the custom
        pod-template kinds of the run)."""
        api_version = obj.data.get("apiVersion")
        if api_version.__class__ is not str:
            return self.key_of(obj)
        under = configured_kinds()
        if under is not self._keys_under:
            self._keys.clear()
            self._keys_under = under
        pair = (api_version, obj.ref.kind or "")  # obj.kind without the property's call
        key = self._keys.get(pair)
        if key is None:
            key = self._keys[pair] = self.key_of(obj)
        return key

    def select(self, key: str, only: Collection[int]) -> tuple[tuple[int, _Step], ...]:
        """The steps of ``key``'s plan at the positions ``only`` (each once, in the plan's
        order; a position the plan does not have is none), as run(only=...) runs them; a
        step the plan has not made yet is made alone."""
        entries = self._entries_of(key)
        plan = self._plans.get(key)
        count = len(entries)
        selected = []
        for position in sorted({*only}):
            if position.__class__ is not int or not 0 <= position < count:
                continue
            if plan is not None:
                step = plan[position]
            else:
                made = self._made.get((key, position))
                if made is None:
                    made = self._made[key, position] = self._step(key, *entries[position])
                step = made
            selected.append((position, step))
        return tuple(selected)

    def run_deferred(self, obj: KObject, deferred: Sequence[int]) -> list[Diagnostic]:
        """``run(obj, only=deferred)``, the parent's pass of the checks a local pass deferred:
        the steps of each kind and ``deferred`` are selected once, and a step no local pass
        deferred is never made."""
        found: list[Diagnostic] = []
        kind = self._key(obj)
        positions = tuple(deferred)
        steps = self._selected.get((kind, positions))
        if steps is None:
            steps = self._selected[kind, positions] = self.select(kind, positions)
        checking(obj)
        try:
            self._run_steps(obj, steps, found)
        finally:
            checking(None)
        return found

    def relating_steps(self, kind: str) -> frozenset[int]:
        """The positions (in this kind's plan) of the checks that may relate an object to
        others (:func:`kpolicy.checks.relating_rules`)."""
        found = self._relating.get(kind)
        if found is None:
            plan = self._plans.get(kind)
            if plan is None:
                plan = self._plan(kind)
            relating = relating_rules()
            found = frozenset(
                position
                for position, step in enumerate(plan)
                if not relating.isdisjoint(step.reports)
            )
            self._relating[kind] = found
        return found

    def run(
        self,
        obj: KObject,
        only: Collection[int] | None = None,
        deferred: list[int] | None = None,
    ) -> list[Diagnostic]:
        """The findings of every check that applies to ``obj``.

        ``only``: the positions (in this kind's plan) of the checks to run, e.g. those a local
        pass deferred. ``deferred``: in a local pass (a worker's, with a ``LocalIndex`` and the
        bundled schemas only), where to put the positions of the checks it does not run, as
        they declare (:class:`kpolicy.checks.Reads`): those that read other objects, and those
        that read a custom kind's schema; the parent runs them. Two engines built from the
        same rules have the same plans, so positions carry over.
        """
        found: list[Diagnostic] = []
        # a built-in kind under a group version that does not serve it is no such object:
        # only the rules of every kind (api-version-mismatch among them) judge it
        kind = self._key(obj)
        plan = self._plans.get(kind)
        if plan is None:
            plan = self._plan(kind)
        ordered = self._ordered.get(kind)
        if ordered is None:
            ordered = self._order(kind, plan)
        steps: Sequence[tuple[int, _Step]]
        if deferred is not None:
            steps, later = ordered.local, ordered.deferred
            # whether the checks that read the kind's schema run here: asked once an object
            schema_step = ordered.schema_step
            if schema_step is not None and self._needs_parent(obj, schema_step):
                steps, later = ordered.alone, ordered.alone_deferred
            if only is not None:
                steps = [entry for entry in steps if entry[0] in only]
                later = tuple(position for position in later if position in only)
            deferred.extend(later)
        elif only is not None:
            steps = self.select(kind, only)
        else:
            steps = ordered.numbered
        # its pod template and spec are worked out once for all its checks (and kept for a
        # caller that remembers them around this call: checking)
        outer = checked_now()
        checking(obj)
        try:
            self._run_steps(obj, steps, found)
        finally:
            if outer is not obj:
                checking(None)
        return found

    def _order(self, kind: str, plan: tuple[_Step, ...]) -> _Steps:
        numbered = tuple(enumerate(plan))
        ordered = _Steps(
            numbered,
            tuple(entry for entry in numbered if entry[1].reads is not _INDEX),
            tuple(position for position, step in numbered if step.reads is _INDEX),
            tuple(entry for entry in numbered if entry[1].reads is _OBJECT),
            tuple(position for position, step in numbered if step.reads is not _OBJECT),
            next((step for step in plan if step.reads is Reads.SCHEMAS), None),
        )
        self._ordered[kind] = ordered
        return ordered

    def _run_steps(
        self, obj: KObject, steps: Iterable[tuple[int, _Step]], found: list[Diagnostic]
    ) -> None:
        for _, step in steps:
            try:
                if step.direct is not None:
                    step.direct(obj, step.context, step.reports, step.rejecting, found)
                elif step.positioned is not None:
                    self._run_positioned(obj, step, step.positioned, found)
                else:
                    for problem in step.fn(obj, step.context):
                        rule_id = problem.rule or step.default_rule
                        severity = step.reports.get(rule_id)
                        if severity is None:
                            continue  # not enabled, or the rule does not apply to this kind
                        found.append(
                            to_diagnostic(
                                obj, rule_id, severity, problem, rule_id in step.rejecting
                            )
                        )
            except Exception as exc:  # a bug in one rule must not stop the others
                internal = self._internal_error(obj, step.label, exc)
                if internal is not None:
                    found.append(internal)

    @staticmethod
    def _run_positioned(
        obj: KObject, step: _Step, findings: PositionedFn, found: list[Diagnostic]
    ) -> None:
        """``step``'s findings from its positioned check, as to_diagnostic makes them."""
        reports = step.reports
        rejecting = step.rejecting
        make = diagnostic_maker()
        for rule_id, path, message, anchor, span, fix, rejects in findings(obj, step.context):
            severity = reports.get(rule_id)
            if severity is None:
                continue  # not enabled, or the rule does not apply to this kind
            pointer = to_pointer(path)
            found.append(
                make(
                    rule_id,
                    severity,
                    message,
                    obj.source.display,
                    span if span is not None else obj.span_at_path(path, pointer, anchor),
                    pointer,
                    obj.ref,
                    (),
                    fix,
                    None,  # suppression
                    rule_id in rejecting if rejects is None else rejects,
                    None,  # origin
                    None,  # found_at
                )
            )

    def _needs_parent(self, obj: KObject, step: _Step) -> bool:
        """Whether a local pass leaves ``step`` to the parent: it reads other objects, or the
        schema of a kind that is not built in (a definition in another file may give it)."""
        if step.reads is Reads.OBJECT:
            return False
        if step.reads is Reads.INDEX:
            return True
        schemas = self.context.schemas
        api_version = obj.data.get("apiVersion")
        return (
            schemas is not None
            and isinstance(api_version, str)
            and not schemas.is_builtin(api_version, obj.ref.kind or "")  # (obj.kind)
        )

    def _internal_error(self, obj: KObject, rule_ids: str, exc: Exception) -> Diagnostic | None:
        """The finding for a rule that raised; None when internal-error is ignored or off."""
        active = self.active.get(INTERNAL_ERROR)
        if active is None:
            return None
        if self.debug:
            import traceback  # with --debug only (traceback and textwrap: 1 ms of a start-up)

            self.traces.append(
                f"{obj.source.display}: {obj.ref.label()}: rule {rule_ids}:\n"
                + "".join(traceback.format_exception(exc))
            )
        detail = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        return Diagnostic(
            rule=INTERNAL_ERROR,
            severity=active.severity,
            message=f"rule {rule_ids} failed on {obj.ref.label()} ({detail}); "
            "this is a bug in kpolicy, run with --debug for the traceback",
            file=obj.source.display,
            span=obj.span(("kind",), "value"),
            path="/kind",
            object=obj.ref,
        )


def to_diagnostic(
    obj: KObject, rule_id: str, severity: Severity, problem: Problem, rejects: bool = False
) -> Diagnostic:
    """``rejects``: the rule's own ``rejects``, which the problem may override."""
    related = (
        tuple(
            RelatedLocation(
                file=r.obj.source.display,
                span=r.obj.span(r.path, r.anchor),
                message=r.message,
                object=r.obj.ref,
            )
            for r in problem.related
        )
        if problem.related
        else ()
    )
    pointer = to_pointer(problem.path)
    # (KObject.span_at_path, in line)
    span = obj.positions.path_span(obj.base, obj.data, problem.path, problem.anchor)
    made: Diagnostic = diagnostic_maker()(
        rule_id,
        severity,
        problem.message,
        obj.source.display,
        span if span is not None else obj.span_at(pointer, problem.anchor),
        pointer,
        obj.ref,
        related,
        problem.fix,
        None,  # suppression
        rejects if problem.rejects is None else problem.rejects,
        None,  # origin
        None,  # found_at
    )
    return made
