"""The engine's and the findings' fast paths give what their general forms give: the steps a
run takes from its kind's precomputed lists (a local pass, ``only``) are the plan's steps in
the plan's order, filtered as the plan says; a pointer is the RFC 6901 join of its tokens."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpolicy.checks import Reads
from kpolicy.engine import Engine, _Step
from kpolicy.index import Index
from kpolicy.lint import LintOptions, build_session, read_input
from kpolicy.lint.session import rule_context
from kpolicy.load import load_text
from kpolicy.model import Diagnostic, KObject, Limits, SourceFile, escape_pointer_token, to_pointer
from kpolicy.records import open_twin, replace
from kpolicy.schema import SchemaValidator
from tests.conftest import ROOT
from tests.helpers import examples


def _reference_pointer(path: Any) -> str:
    """RFC 6901: each token as ``str`` writes it, ``~`` and ``/`` escaped, after a ``/``."""
    return "".join("/" + escape_pointer_token(str(token)) for token in path)


class _Text(str):
    def __str__(self) -> str:
        return "shown"


@pytest.mark.parametrize(
    "path",
    [
        (),
        ("kind",),
        ("spec", "template", "spec", "containers", 0, "ports", 12, "containerPort"),
        ("metadata", "annotations", "example.com/a~b"),
        ("a/b",),
        ("~",),
        ("~1",),
        ("",),
        ("", ""),
        ("%s", "%d", "%%"),
        (True, 1.5, None),
        (_Text("x"),),
        tuple(range(32)),
        tuple(range(33)),
        tuple(str(n) for n in range(40)),
        ["spec", 0, "a/b"],
    ],
)
def test_pointer_is_the_escaped_join_of_its_tokens(path: Any) -> None:
    assert to_pointer(path) == _reference_pointer(path)


@settings(max_examples=examples(full=2000, quick=200), deadline=None)
@given(st.lists(st.one_of(st.text(max_size=6), st.integers(min_value=0)), max_size=40))
def test_generated_pointers_are_the_escaped_join_of_their_tokens(tokens: list[Any]) -> None:
    assert to_pointer(tuple(tokens)) == _reference_pointer(tokens)


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ((1,), (True,)),
        (("spec", 1), ("spec", 1.0)),
        (("x",), (_Text("x"),)),
        (("a/b", 0), (_Text("a/b"), False)),
    ],
)
def test_a_remembered_pointer_is_not_given_to_an_equal_path_of_other_tokens(
    first: Any, then: Any
) -> None:
    """The memo of pointers answers a path only for the very tokens it was made from: an
    equal path of other tokens (True for 1, a str subclass) gets its own."""
    assert first == then
    for path in (first, then, first, then):
        assert to_pointer(path) == _reference_pointer(path)


def test_a_path_seen_before_takes_its_remembered_pointer() -> None:
    """A path of the same tokens as one seen before (another tuple) gets the very pointer made
    then, not one made again; and when the memo is full it starts again."""
    from kpolicy import model

    path: tuple[str | int, ...] = ("spec", "template", "metadata", "labels", "example.com/x~y", 3)
    pointer = to_pointer(path)
    again: tuple[str | int, ...] = tuple(list(path))
    assert again is not path
    assert to_pointer(again) is pointer
    assert pointer == _reference_pointer(path)
    for count in range(model._POINTERS_KEPT + 1):
        to_pointer(("filler", count))
    assert len(model._POINTERS) <= model._POINTERS_KEPT
    assert to_pointer(again) == pointer


def test_pointers_of_a_run_are_those_made_from_their_tokens() -> None:
    """Every finding's pointer on the rules' examples, through the memo, is the one its path's
    tokens make (each path asked twice: the second answer comes from the memo)."""
    from kpolicy import model

    model._POINTERS.clear()
    asked = 0
    for obj in _objects():
        for path in _paths_of(obj.data):
            assert to_pointer(path) == to_pointer(tuple(path)) == _reference_pointer(path)
            asked += 1
    assert asked and model._POINTERS


def _paths_of(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(_paths_of(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_paths_of(value, (*prefix, index)))
    return found


def _objects() -> list[KObject]:
    """The rules' fixtures and examples, and an object of a custom kind (whose schema a local
    pass leaves to the parent: a definition in another file may give it)."""
    from kpolicy.discover import discover

    found: list[KObject] = []
    inputs, _ = discover([str(ROOT / "tests" / "rules"), str(ROOT / "examples")])
    for item in inputs:
        loaded = read_input(item, False, Limits(), None)
        if not isinstance(loaded, str):
            found.extend(loaded.objects)
    custom = (
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: 3\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: x}\n"
    )
    found.extend(load_text(SourceFile("custom.yaml", custom)).objects)
    return found


@pytest.fixture(scope="module")
def engine_and_objects() -> tuple[Engine, list[KObject]]:
    session = build_session(LintOptions(use_config_discovery=False))
    objects = _objects()
    assert len(objects) > 500
    schemas = SchemaValidator.for_version(session.kubernetes_version)
    context = rule_context(session, Index(objects), None, schemas)
    return Engine(session.active, context), objects


def _found(diags: list[Diagnostic]) -> list[tuple[Any, ...]]:
    return [(d.rule, d.message, d.path, d.span, d.severity, d.rejects) for d in diags]


def _recorded(engine: Engine, key: str, ran: list[int]) -> tuple[_Step, ...]:
    """``key``'s plan, each of its steps noting its position in ``ran`` when it runs (made
    before the engine runs an object of ``key``, whose lists then hold these steps)."""
    plan = engine._plans.get(key)
    if plan is None or not hasattr(plan[0].fn, "position"):
        steps = []
        for position, step in enumerate(engine._plan(key)):

            def noted(fn: Any, at: int = position) -> Any:
                if fn is None:
                    return None

                def run(*args: Any) -> Any:
                    ran.append(at)
                    return fn(*args)

                run.position = at  # type: ignore[attr-defined]
                return run

            steps.append(
                replace(
                    step,
                    fn=noted(step.fn),
                    positioned=noted(step.positioned),
                    direct=noted(step.direct),
                )
            )
        plan = engine._plans[key] = tuple(steps)
    return plan


def _general(engine: Engine, obj: KObject, only: Any, deferred: list[int] | None) -> list[int]:
    """The positions of the steps run() takes, as the plan says: each step in the plan's
    order, unless ``only`` leaves it out, or a local pass (``deferred``) leaves it to the
    parent (those go to ``deferred``)."""
    taken: list[int] = []
    for position, step in enumerate(engine._plans[engine.key_of(obj)]):
        if only is not None and position not in only:
            continue
        if (
            deferred is not None
            and step.reads is not Reads.OBJECT
            and (step.reads is Reads.INDEX or engine._needs_parent(obj, step))
        ):
            deferred.append(position)
            continue
        taken.append(position)
    return taken


def test_a_run_takes_the_plans_steps_in_its_order(
    engine_and_objects: tuple[Engine, list[KObject]],
) -> None:
    engine, objects = engine_and_objects
    ran: list[int] = []
    deferring = 0
    for obj in objects:
        plan = _recorded(engine, engine.key_of(obj), ran)
        ran.clear()
        whole = engine.run(obj)
        taken = [*ran]
        assert taken == _general(engine, obj, None, None) == list(range(len(plan)))
        # the findings are those of each step alone, in the plan's order
        assert _found(whole) == _found([d for p in taken for d in engine.run(obj, only=(p,))])
        deferred: list[int] = []
        expected: list[int] = []
        ran.clear()
        engine.run(obj, deferred=deferred)
        assert ran == _general(engine, obj, None, expected)
        assert deferred == expected
        deferring += any(plan[p].reads is Reads.SCHEMAS for p in deferred)
        # the parent's run of what was deferred, and of any choice of steps, in any order,
        # repeated, with positions that are no step's
        every = range(len(plan))
        for only in (
            deferred,
            tuple(reversed(every[::2])),
            {*every[1::3], -1, len(plan), len(plan) + 5},
            [*every[:3], *every[:3]],
            (),
        ):
            ran.clear()
            engine.run(obj, only=only)
            assert ran == _general(engine, obj, only, None)
            later: list[int] = []
            wanted: list[int] = []
            ran.clear()
            engine.run(obj, only=only, deferred=later)
            assert ran == _general(engine, obj, only, wanted)
            assert later == wanted
    assert deferring  # a custom kind's schema checks are left to the parent


def test_positions_a_local_pass_defers_carry_over_to_another_engine() -> None:
    """Two engines of the same rules have the same plans: a worker's positions carry over to
    the parent's engine, whose lists are its own."""
    session = build_session(LintOptions(use_config_discovery=False))
    (obj,) = load_text(
        SourceFile("a.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n")
    ).objects
    first = Engine(session.active, rule_context(session, Index([obj]), None, None))
    second = Engine(session.active, rule_context(session, Index([obj]), None, None))
    key = first.key_of(obj)
    assert [s.reports for s in first._plan(key)] == [s.reports for s in second._plan(key)]
    deferred: list[int] = []
    first.run(obj, deferred=deferred)
    ran: list[int] = []
    _recorded(second, key, ran)
    second.run(obj, only=deferred)
    assert deferred
    assert ran == _general(second, obj, deferred, None) == deferred


def _step_fields(step: _Step) -> tuple[Any, ...]:
    # a policy's check is made by each engine (declarative_check): the same code
    return (
        getattr(step.fn, "__code__", step.fn),
        step.context.params,
        step.default_rule,
        dict(step.reports),
        step.label,
        step.rejecting,
        step.reads,
        step.positioned,
        step.direct,
    )


def test_the_deferred_pass_is_run_with_only(
    engine_and_objects: tuple[Engine, list[KObject]],
) -> None:
    """Engine.run_deferred (the parent's pass of what a local pass deferred, with steps
    selected once per kind and positions, made alone without the kind's plan) finds what
    run(only=...) finds, for the positions a local pass defers and any others."""
    engine, objects = engine_and_objects
    general = Engine(engine.active, engine.context)
    fast = Engine(engine.active, engine.context)
    local = Engine(engine.active, engine.context)
    compared = 0
    for obj in objects:
        key = general.key_of(obj)
        assert fast._key(obj) == key
        deferred: list[int] = []
        local.run(obj, deferred=deferred)
        count = len(local._plans[key])
        every = range(count)
        for only in (
            deferred,
            [*every[::2]],
            [*reversed(every[1::3]), -1, count, count + 5, *every[:2]],
            [],
        ):
            expected = general.run(obj, only=only)
            assert _found(fast.run_deferred(obj, only)) == _found(expected)
            assert _found(fast.run_deferred(obj, only)) == _found(expected)  # selected before
            assert [(p, _step_fields(s)) for p, s in fast.select(key, only)] == [
                (p, _step_fields(general._plans[key][p])) for p in sorted({*only}) if 0 <= p < count
            ]
            compared += bool(expected)
    assert compared > 100
    # the steps were made alone: no kind's whole plan was
    assert not fast._plans
    assert fast._selected and fast._made


def test_the_kind_key_follows_the_runs_pod_template_kinds(tmp_path: Any) -> None:
    """Engine._key remembers key_of by apiVersion and kind, for the custom pod-template kinds
    of the run: under another config's kinds it is worked out again."""
    from kpolicy.config import load_config
    from kpolicy.engine import POD_TEMPLATE_KEY
    from kpolicy.k8s.podtemplates import configured

    (tmp_path / ".kpolicy.yaml").write_text(
        "podTemplates:\n  - apiVersion: example.com/v1\n    kind: Worker\n"
        "    template: /spec/podTemplate\n"
    )
    kinds = load_config(tmp_path / ".kpolicy.yaml").pod_templates
    (worker,) = load_text(
        SourceFile("w.yaml", "apiVersion: example.com/v1\nkind: Worker\nmetadata: {name: w}\n")
    ).objects
    session = build_session(LintOptions(use_config_discovery=False))
    engine = Engine(session.active, rule_context(session, Index([worker]), None, None))
    assert engine._key(worker) == Engine.key_of(worker) == "Worker"
    with configured(kinds):
        assert engine._key(worker) == Engine.key_of(worker) == POD_TEMPLATE_KEY + "Worker"
    assert engine._key(worker) == "Worker"


def test_a_step_is_made_once_for_the_plans_that_have_the_same_one() -> None:
    """A check's step is made once for every kind on which it reports the same ids (a check
    of every kind, once for all): each plan's step is the one made for it alone."""
    from kpolicy.engine import POD_TEMPLATE_KEY
    from kpolicy.patterns import PATTERN_TIMEOUT

    session = build_session(LintOptions(use_config_discovery=False))
    engine = Engine(session.active, rule_context(session, Index([]), None, None))
    keys = sorted({Engine.key_of(obj) for obj in _objects()} | {"Widget", ""})
    keys.append(POD_TEMPLATE_KEY + "Widget")
    plans = {key: engine._plan(key) for key in keys}
    every = {id(entry) for entry, _ in engine._any_kind}
    assert every
    timeout = engine.active.get(PATTERN_TIMEOUT)
    shared: dict[int, _Step] = {}
    for key, plan in plans.items():
        custom = key.startswith(POD_TEMPLATE_KEY)
        kind = key.removeprefix(POD_TEMPLATE_KEY)
        entries = engine._entries_of(key)
        assert len(plan) == len(entries)
        for step, (entry, ids) in zip(plan, entries, strict=True):
            # the ids it reports on this kind, in the order of its ids, then pattern-timeout
            reports = {
                rule_id: engine.active[rule_id].severity
                for rule_id in ids
                if engine.active[rule_id].rule.applies_to(kind, custom)
            }
            if timeout is not None:
                reports.setdefault(PATTERN_TIMEOUT, timeout.severity)
            assert [*step.reports.items()] == [*reports.items()]
            assert step == engine._new_step(entry, ids, reports)  # made for this plan alone
            if id(entry) in every:
                assert shared.setdefault(id(entry), step) is step  # one step in every plan
    assert set(shared) == every


def test_a_run_takes_its_kind_key_from_the_memo(
    engine_and_objects: tuple[Engine, list[KObject]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """run() asks key_of once for each apiVersion and kind (Engine._key), not once an object."""
    _, objects = engine_and_objects
    session = build_session(LintOptions(use_config_discovery=False))
    engine = Engine(session.active, rule_context(session, Index(objects), None, None))
    asked: list[KObject] = []
    key_of = Engine.key_of

    def counted(obj: KObject) -> str:
        asked.append(obj)
        return key_of(obj)

    monkeypatch.setattr(Engine, "key_of", staticmethod(counted))
    deployments = [
        o for o in objects if o.data.get("apiVersion") == "apps/v1" and o.kind == "Deployment"
    ]
    assert len(deployments) > 2
    for obj in deployments:
        engine.run(obj)
    assert len(asked) == 1
    assert [*engine._plans] == ["Deployment"]


def test_check_files_runs_the_deferred_checks_through_the_fast_path(
    engine_and_objects: tuple[Engine, list[KObject]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """check_files with a local pass's findings runs what it deferred through
    Engine.run_deferred, which makes no kind's whole plan, and finds what a run without
    the local pass finds."""
    from kpolicy.lint.check import check_files
    from kpolicy.lint.run import _check_locally, _local_engine

    session = build_session(LintOptions(use_config_discovery=False))
    loaded = []
    from kpolicy.discover import discover

    inputs, _ = discover([str(ROOT / "tests" / "rules"), str(ROOT / "examples")])
    for item in inputs:
        file = read_input(item, False, Limits(), None)
        if not isinstance(file, str) and file.objects:
            loaded.append(file)
    assert len(loaded) > 100
    whole, _ = check_files(loaded, [], session)
    local_engine = _local_engine(session, None, False)
    local = [_check_locally(local_engine, file, session.generic) for file in loaded]
    assert any(deferred for found in local for _, deferred, _ in found.per_object)
    calls: list[int] = []
    made: list[str] = []
    run_deferred = Engine.run_deferred
    plan = Engine._plan

    def counted(self: Engine, obj: KObject, deferred: Any) -> list[Diagnostic]:
        calls.append(len(deferred))
        return run_deferred(self, obj, deferred)

    def planned(self: Engine, key: str) -> Any:
        made.append(key)
        return plan(self, key)

    monkeypatch.setattr(Engine, "run_deferred", counted)
    monkeypatch.setattr(Engine, "_plan", planned)
    fast, _ = check_files(loaded, [], session, local=local)
    assert len(calls) > 100
    assert made == []
    assert [_found([d]) for d in fast.diagnostics] == [_found([d]) for d in whole.diagnostics]
    assert fast.suppressed == whole.suppressed
    assert fast.summary == whole.summary


_WALKED = (
    # a List's items (their base is /items/N), a mapping and a list past the scanned size,
    # keys that are not strings, a flow mapping, nulls and empty containers
    "apiVersion: v1\nkind: List\nitems:\n"
    "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n  data:\n"
    + "".join(f"    k{n}: v{n}\n" for n in range(20))
    + "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: b\n  spec:\n    containers:\n"
    + "".join(f"    - name: c{n}\n      ports: [{{containerPort: {n}}}]\n" for n in range(20))
    + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: {}\n"
    "data:\n  1: one\n  '2': two\n  'a/b~c': x\n  empty: []\n  none: null\n"
    "---\n# irregular: a duplicate key and a merge key\n"
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\ndata: {a: 1, a: 2}\n"
    "---\napiVersion: v1\nkind: ConfigMap\nbase: &b {x: 1}\nmetadata: {<<: *b, name: e}\n"
)


def _walked_objects() -> list[KObject]:
    return [*_objects(), *load_text(SourceFile("walked.yaml", _WALKED)).objects]


def _paths_to_try(obj: KObject) -> list[Any]:
    """Every path of the object's value, and from each: a missing key, a missing position,
    a token of another type than its container's (an int key, a str position, a bool, a
    negative position), a token below a scalar, and a missing path of several tokens."""
    tried: list[Any] = []
    for path in _paths_of(obj.data):
        tried += [
            path,
            (*path, "missing"),
            (*path, 0),
            (*path, 1),
            (*path, 17),
            (*path, 10**6),
            (*path, -1),
            (*path, True),
            (*path, "0"),
            (*path, 1.5),
            (*path, "missing", "deeper", 0),
        ]
    return tried


def test_spans_walked_along_a_path_are_those_found_by_its_pointer() -> None:
    """A finding's span found by walking the object's value along its path (the path walk)
    is the span its pointer finds from the document's root, for every node of the rules'
    fixtures and examples (and a List's items, large containers, keys that are not strings,
    irregular documents), for missing fields below each and tokens of other types, with
    each anchor; and the walk answers for nearly all of them."""
    walked = asked = 0
    for obj in _walked_objects():
        for path in _paths_to_try(obj):
            pointer = to_pointer(path)
            for anchor in ("auto", "key", "value"):
                expected = obj.span_at(pointer, anchor)
                assert obj.span_at_path(path, pointer, anchor) == expected, (obj.ref, path)
                assert obj.span(path, anchor) == expected, (obj.ref, path)
                asked += 1
                walked += obj.positions.path_span(obj.base, obj.data, path, anchor) is not None
    assert walked > asked // 2


def test_the_path_walk_in_c_is_the_python_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the C extension is built, path_span walks a path with its path_walk: the record
    and depth of the Python walk (``PositionTable._walk``), or None where that gives a token
    of another type, for every path tried above; it leaves to Python (False) only a walk
    through a container longer than _SCANNED (or a table it does not read), and path_span
    then walks in Python, not otherwise."""
    from kpolicy import positions
    from kpolicy.positions import _SCANNED, _TYPECODES, PositionTable

    walk = positions._c_path_walk()
    if walk is None:
        pytest.skip("the C extension is not built")
    answered = left = 0
    for obj in _walked_objects():
        table = obj.positions
        index = table.record_at(obj.base, obj.data) if obj.base else 0
        if table._entries is not None or table._irregular or index < 0:
            continue
        if getattr(table._records, "typecode", None) not in _TYPECODES:
            continue
        for path in _paths_to_try(obj):
            walked = walk(table._records, obj.data, index, path, _SCANNED)
            expected = table._walk(table._records, obj.data, index, path)
            if walked is False:
                left += 1
                continue
            answered += 1
            assert walked == (None if expected[1] < 0 else expected), (obj.ref, path)
    assert answered > 10 * left > 0
    # path_span walks in Python only where the C walk leaves it
    in_python: list[Any] = []
    walked_in_python = PositionTable._walk

    def counted(self: Any, records: Any, node: Any, index: int, path: Any) -> Any:
        in_python.append(path)
        return walked_in_python(self, records, node, index, path)

    monkeypatch.setattr(PositionTable, "_walk", counted)
    obj = _walked_objects()[0]
    for path in _paths_to_try(obj)[:50]:
        table = obj.positions
        before = len(in_python)
        table.path_span(obj.base, obj.data, path, "auto")
        index = table.record_at(obj.base, obj.data) if obj.base else 0
        if index >= 0 and walk(table._records, obj.data, index, path, _SCANNED) is not False:
            assert len(in_python) == before, path


def test_the_path_walk_answers_for_regular_tables_and_leaves_the_rest() -> None:
    """The walk answers an existing path and a missing field of a regular document, and of a
    List's item; it leaves to the pointer an irregular document, a token of another type at
    a container, a path of which nothing exists, and an object whose value is not the one
    its table holds."""
    objects = load_text(SourceFile("walked.yaml", _WALKED)).objects
    first, pod, plain, duplicate, merged = objects
    assert first.base == "/items/0" and pod.base == "/items/1"

    def walked(obj: KObject, path: tuple[Any, ...], anchor: Any = "auto") -> bool:
        return obj.positions.path_span(obj.base, obj.data, path, anchor) is not None

    assert walked(first, ("data", "k19"))
    assert walked(pod, ("spec", "containers", 18, "ports", 0, "containerPort"))
    assert walked(pod, ("spec", "containers", 18, "image"))  # missing: its container's key
    assert walked(plain, ("data", "a/b~c"))
    assert not walked(duplicate, ("data", "a"))
    assert not walked(merged, ("metadata", "name"))
    assert not walked(plain, ("data", 1))
    assert not walked(pod, ("spec", "containers", "0"))
    assert not walked(plain, ("missing",))
    assert not walked(replace(plain, data=dict(plain.data)), ("metadata", "name"))


def test_the_path_walk_holds_what_it_walks_to_while_keys_are_compared() -> None:
    """A key's comparison with a token may run code, which may drop the token's value from
    its mapping: the C walk holds that value (and the key) while it compares, and walks on
    into it."""
    from array import array

    from kpolicy import positions
    from kpolicy.positions import _SCANNED

    walk = positions._c_path_walk()
    if walk is None:
        pytest.skip("the C extension is not built")

    class Dropping:
        """A key whose comparison drops "a" from the mapping it is a key of."""

        def __eq__(self, other: object) -> bool:
            node.pop("a", None)
            return False

        def __hash__(self) -> int:
            return 1

    records = array("H", [0] * 36)
    records[17] = 1  # (the first child's subtree: its own record)
    for _ in range(20):  # (a value freed under the walk is not always seen at once)
        node: dict[Any, Any] = {Dropping(): 1, "a": {"b": 2}}
        assert walk(records, node, 0, ("a", "b"), _SCANNED) == (3, 2)
        assert list(node.values()) == [1]


def test_diagnostics_made_on_the_open_twin_are_those_the_class_makes() -> None:
    """The engine makes a finding's Diagnostic on the record's open twin: each is a
    Diagnostic, frozen, equal (and hashed, pickled, shown) as the one ``Diagnostic(...)``
    makes of the same fields, for problems with and without related places, fixes and a
    ``rejects`` of their own; the twin sets every field, which holds only while Diagnostic
    has these fields and no ``__post_init__``."""
    import pickle
    from dataclasses import FrozenInstanceError

    from kpolicy.engine import to_diagnostic
    from kpolicy.model import Fix, Problem, Related, Severity, TextEdit
    from kpolicy.records import fields, open_twin

    assert [f.name for f in fields(Diagnostic)] == [
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
    ]
    assert not hasattr(Diagnostic, "__post_init__")
    from kpolicy import model

    assert model._OPEN_DIAGNOSTIC is open_twin(Diagnostic)
    objects = load_text(
        SourceFile(
            "d.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {}\n---\n"
            "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n",
        )
    ).objects
    pod, service = objects
    fix = Fix("f", (TextEdit(pod.span(("kind",)), "x"),))
    problems = [
        Problem(("spec", "containers"), "missing"),
        Problem(("metadata", "name"), "named", "key", (Related(service, ("kind",), "why"),)),
        Problem(("kind",), "fixed", fix=fix, rejects=False),
        Problem(("spec",), "rejected", rejects=True),
    ]
    for problem in problems:
        for rejects in (False, True):
            made = to_diagnostic(pod, "rule-x", Severity.WARNING, problem, rejects)
            pointer = to_pointer(problem.path)
            expected = Diagnostic(
                "rule-x",
                Severity.WARNING,
                problem.message,
                pod.source.display,
                pod.span_at(pointer, problem.anchor),
                pointer,
                pod.ref,
                tuple(
                    replace(
                        made.related[0],
                        span=r.obj.span(r.path, r.anchor),
                        message=r.message,
                        object=r.obj.ref,
                    )
                    for r in problem.related
                ),
                problem.fix,
                None,
                rejects if problem.rejects is None else problem.rejects,
            )
            assert type(made) is Diagnostic
            assert made == expected and hash(made) == hash(expected)
            assert repr(made) == repr(expected)
            assert pickle.loads(pickle.dumps(made)) == expected
            with pytest.raises(FrozenInstanceError):
                made.rule = "other"  # type: ignore[misc]


def test_the_engine_makes_its_findings_with_the_c_maker_where_it_is_built() -> None:
    """The findings of problems (``to_diagnostic``) and of positioned checks
    (``Engine._run_positioned``: name-invalid's) are made by the C extension's maker
    (:func:`kpolicy.records.slot_maker`) where it is built, else on the open twin
    (:func:`kpolicy.model.diagnostic`): the same Diagnostics either way, in the same order."""
    from unittest import mock

    from kpolicy import engine, model
    from kpolicy.records import slot_maker

    maker = slot_maker(Diagnostic)
    if maker is None:
        assert model.diagnostic_maker() is model.diagnostic
    else:
        assert model.diagnostic_maker() is not model.diagnostic
    text = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: Bad_Name, labels: {a: 'b c'}}\n"
        "spec: {containers: [{name: c, image: 'x:latest', ports: [{containerPort: x}]}]}\n"
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: s_1}\n"
        "spec: {ports: [{port: 80, targetPort: nope}], selector: {app: q}}\n"
    )
    session = build_session(LintOptions(use_config_discovery=False))
    objects = load_text(SourceFile("m.yaml", text)).objects
    schemas = SchemaValidator.for_version(session.kubernetes_version)
    made: list[Diagnostic] = []

    def counted(*values: Any) -> Diagnostic:
        diag = (maker or model.diagnostic)(*values)
        made.append(diag)
        return diag

    def run(make: Any) -> list[list[Diagnostic]]:
        found = Engine(session.active, rule_context(session, Index(objects), None, schemas))
        with mock.patch.object(engine, "diagnostic_maker", return_value=make):
            return [found.run(obj) for obj in objects]

    on_twin = run(model.diagnostic)
    by_maker = run(counted)
    assert by_maker == on_twin
    assert [[repr(d) for d in found] for found in by_maker] == [
        [repr(d) for d in found] for found in on_twin
    ]
    assert all(type(d) is Diagnostic for found in by_maker for d in found)
    rules = {d.rule for d in made}
    assert "name-invalid" in rules  # (a positioned check's)
    assert rules - {"name-invalid"}  # (problems' findings: to_diagnostic)
    assert {id(d) for d in made} <= {id(d) for found in by_maker for d in found}


def test_the_diagnostic_maker_makes_what_the_class_makes() -> None:
    """``kpolicy.model.diagnostic`` (the schema check's maker of its findings) makes the
    Diagnostic that the class makes of the same fields, frozen, with no origin and not found
    elsewhere; and the schema check's findings are made by it."""
    import pickle
    from dataclasses import FrozenInstanceError
    from unittest import mock

    from kpolicy import model
    from kpolicy.checks import schema_rules
    from kpolicy.model import Fix, ObjectRef, RelatedLocation, Severity, Span, Suppression

    span = Span(3, 4, 3, 9)
    ref = ObjectRef("v1", "Pod", "ns", "p")
    related = (RelatedLocation("o.yaml", span, "why", None),)
    for fields_ in [
        ("schema-x", Severity.ERROR, "m", "f.yaml", span, "/spec", ref, (), None, None, True),
        ("r", Severity.INFO, "", "", span, "", None, related, Fix("f", ()), None, False),
        ("r", Severity.WARNING, "m", "f", span, "/a", ref, (), None, Suppression("comment"), 0),
    ]:
        made = model.diagnostic(*fields_)  # type: ignore[arg-type]
        expected = Diagnostic(*fields_)  # type: ignore[arg-type]
        assert type(made) is Diagnostic
        assert made == expected and hash(made) == hash(expected) and repr(made) == repr(expected)
        assert made.origin is None and made.found_at is None
        assert pickle.loads(pickle.dumps(made)) == expected
        with pytest.raises(FrozenInstanceError):
            made.message = "other"  # type: ignore[misc]
    assert model._OPEN_DIAGNOSTIC is open_twin(Diagnostic)
    text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: x}\n"
    session = build_session(LintOptions(use_config_discovery=False))
    (obj,) = load_text(SourceFile("s.yaml", text)).objects
    schemas = SchemaValidator.for_version(session.kubernetes_version)
    engine = Engine(session.active, rule_context(session, Index([obj]), None, schemas))
    # (the schema check makes them in C where the extension is built, else with this one:
    # tests/test_c_makers.py holds the C loop and maker to these)
    made_by = mock.Mock(side_effect=model.diagnostic)
    with (
        mock.patch.object(schema_rules, "_rows", return_value=None),
        mock.patch.object(schema_rules, "diagnostic_maker", return_value=made_by),
    ):
        found = engine.run(obj)
    assert made_by.call_count >= 1
    assert any(d.rule.startswith("schema-") for d in found)


def test_the_local_pass_reads_the_annotations_with_the_pod_template_its_checks_worked_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """_check_locally keeps what the checks of an object worked out of it (its pod template)
    for annotation_ignores, which reads the template's annotations: worked out once an object,
    not again after its checks; the ignores are those read alone, and once the pass is done
    nothing is remembered."""
    import kpolicy.workload as workload
    from kpolicy.lint.run import _check_locally, _local_engine
    from kpolicy.suppress import annotation_ignores

    text = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n"
        "    kpolicy.io/ignore: image-tag-missing-or-latest\nspec:\n  selector:\n"
        "    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n"
        "      annotations: {kpolicy.io/ignore: 'probes-missing -- later'}\n    spec:\n"
        "      containers: [{name: c, image: 'x:latest', ports: [{containerPort: 70000}]}]\n"
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: {a: '-'}}\n"
    )
    file = load_text(SourceFile("t.yaml", text), Limits())
    session = build_session(LintOptions(use_config_discovery=False))
    engine = _local_engine(session, None, False)
    worked: list[KObject] = []
    real = workload._pod_template

    def counted(obj: KObject) -> Any:
        worked.append(obj)
        return real(obj)

    monkeypatch.setattr(workload, "_pod_template", counted)
    local = _check_locally(engine, file, session.generic)
    assert workload.checked_now() is None
    assert [found != [] for found, _, _ in local.per_object] == [True, True]
    assert worked == list(file.objects)  # once each
    monkeypatch.setattr(workload, "_pod_template", real)
    assert [ignores for _, _, ignores in local.per_object] == [
        annotation_ignores(obj) for obj in file.objects
    ]
    ignores = local.per_object[0][2]
    assert ignores is not None and len(ignores) == 2


def test_engine_run_keeps_what_a_caller_remembers_and_forgets_its_own() -> None:
    """Engine.run remembers what the checks work out of its object while they run and forgets
    it after, unless its caller remembers the object around the call (checking): then it is
    kept for the caller, who forgets it; another object's is replaced, as before."""
    from kpolicy.workload import checked_now, checking, pod_template

    text = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
        "  containers: [{name: c, image: x}]\n"
    )
    obj, other = (load_text(SourceFile("t.yaml", text), Limits()).objects[0] for _ in range(2))
    session = build_session(LintOptions(use_config_discovery=False))
    engine = Engine(session.active, rule_context(session, Index([obj, other]), None, None))
    engine.run(obj)
    assert checked_now() is None
    checking(obj)
    try:
        found = pod_template(obj)
        engine.run(obj)
        assert checked_now() is obj
        assert pod_template(obj) is found  # the caller's answer, kept
        engine.run(other)
        assert checked_now() is None
    finally:
        checking(None)


def test_the_local_pass_sorts_each_objects_findings_with_sort_findings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker's local pass sorts each object's findings with
    :func:`kpolicy.model.sort_findings` (in C where the extension is built): each object's
    findings in the order of SORT_KEY, and the file's in order (``ordered``)."""
    from kpolicy.lint import run as lint_run
    from kpolicy.model import SORT_KEY, sort_findings

    sorted_lists: list[list[Diagnostic]] = []

    def counted(found: list[Diagnostic]) -> None:
        sorted_lists.append(found)
        sort_findings(found)

    monkeypatch.setattr(lint_run, "sort_findings", counted)
    session = build_session(LintOptions(use_config_discovery=False))
    text = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: Bad_Name}\n"
        "spec: {replicas: x, template: {spec: {containers: [{name: c, image: 'i:latest',"
        " ports: [{containerPort: y}], imagePullPolicy: Nope}]}}}\n"
    )
    loaded = load_text(SourceFile("d.yaml", text))
    engine = lint_run._local_engine(session, None, False)
    local = lint_run._check_locally(engine, loaded, session.generic)
    ((found, _, _),) = local.per_object
    assert len(found) > 2
    assert sorted_lists == [found]
    assert found == sorted(found, key=SORT_KEY)
    assert local.ordered
