"""A schema finding's span read from its node's record (the compiled explainer carries each
node's record in the object's compact position table; ``engine.positioned``) is the span the
lookup of its path gives, with the same anchor, on generated documents and schemas, and on the
built-in schemas through the engine; and the records are what the common case uses."""

from __future__ import annotations

from typing import Any
from unittest import mock

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpolicy import engine
from kpolicy.checks import RuleContext
from kpolicy.checks.schema_rules import schema_diagnostics, schema_findings
from kpolicy.index import Index
from kpolicy.load import load_text
from kpolicy.model import Diagnostic, KObject, SourceFile, to_pointer
from kpolicy.positions import PositionTable
from kpolicy.records import replace
from kpolicy.schema import SchemaValidator
from kpolicy.schema.explain import compile_explain, to_problems
from kpolicy.schema.problems import SchemaProblem
from tests.helpers import examples, lint_text
from tests.schema.test_fast_keywords import SCHEMAS

EXAMPLES = examples(full=600, quick=150)

# keys a pointer escapes, and the keys the generated schemas name
KEYS = st.sampled_from(["a", "b", "c", "x/y", "~t", "a b"])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([-1.5, 0.0, 0.5, 2.0, 3e9]),
    st.text(alphabet="ab0 :#\n", max_size=4),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(KEYS, inner, max_size=4),
        # the same value twice: written once with an anchor, then as its alias (built again
        # where it is used)
        st.builds(lambda v: {"a": v, "b": v}, inner),
    ),
    max_leaves=12,
)


def _objects(text: str) -> list[KObject]:
    loaded = load_text(SourceFile("t.yaml", text))
    assert loaded.objects, (text, loaded.diagnostics)
    return list(loaded.objects)


def _both(schema: Any, obj: KObject) -> tuple[list[SchemaProblem], list[SchemaProblem]]:
    """The problems of ``obj`` explained with its records, and without."""
    explainer = compile_explain(schema, {})
    table = obj.positions
    record = table.record_at(obj.base, obj.data)
    assert record >= 0, "a loaded object's own records are known"
    sizes, irregular = table.sizes(), table.irregular
    direct = to_problems(explainer(obj.data, sizes, irregular, record), sizes, irregular)
    return direct, to_problems(explainer(obj.data))


def _assert_same_places(schema: Any, obj: KObject) -> list[SchemaProblem]:
    direct, general = _both(schema, obj)
    # the same problems (rule, path, anchor, message, fix), in the same order
    assert [replace(p, record=-1) for p in direct] == general
    for problem in direct:
        if problem.record >= 0:
            pointer = to_pointer(problem.path)
            assert obj.positions.span_of(problem.record, problem.at) == obj.span_at(
                pointer, problem.at
            ), (problem, obj.data)
    return direct


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    schema=SCHEMAS,
    body=st.dictionaries(KEYS, VALUES, max_size=4),
    flow=st.sampled_from([None, False, True]),
    in_list=st.booleans(),
)
def test_a_record_gives_the_span_of_the_path(
    schema: dict[str, Any], body: dict[str, Any], flow: bool | None, in_list: bool
) -> None:
    document: dict[str, Any] = {"apiVersion": "v1", "kind": "K", **body}
    if in_list:
        document = {"apiVersion": "v1", "kind": "List", "items": [{"x/y": [1]}, document]}
    text = yaml.safe_dump(document, default_flow_style=flow, sort_keys=False, allow_unicode=True)
    objects = _objects(text)
    for obj in objects:
        found = _assert_same_places(schema, obj)
        # without duplicate or merge keys every error's node has its record
        assert all(problem.record >= 0 for problem in found), found


IRREGULAR = """\
apiVersion: v1
kind: K
base: &base {a: 1, b: x}
merged:
  <<: *base
  c: [1, x]
  b: 2
twice: {a: x, a: 1, b: [x]}
after: {a: [x, 2], c: x}
"""


def test_duplicate_and_merge_keys_keep_the_lookup() -> None:
    schema = {
        "additionalProperties": {
            "additionalProperties": {"type": "string"},
            "items": {"type": "integer"},
        },
    }
    (obj,) = _objects(IRREGULAR)
    found = _assert_same_places(schema, obj)
    by_path = {problem.path: problem.record for problem in found}
    # below the mappings whose records do not follow their keys: looked up
    assert by_path[("merged", "a")] == -1
    assert by_path[("twice", "a")] == -1
    # elsewhere, read from the records
    assert by_path[("base", "a")] >= 0
    assert by_path[("after", "a")] >= 0


def test_a_table_of_plain_entries_has_no_records() -> None:
    (obj,) = _objects("apiVersion: v1\nkind: K\na: 1\n")
    entries = PositionTable(dict(obj.positions.entries))
    assert entries.record_at("", obj.data) == -1
    # a value that is not the one the table holds at that place
    assert obj.positions.record_at("", dict(obj.data)) == -1


# a Deployment, whose fields a generated value replaces (type mismatches, unknown fields,
# missing required fields, enums, null)
DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "strategy": {"type": "RollingUpdate"},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {
                        "name": "web",
                        "image": "nginx:1.27",
                        "imagePullPolicy": "Always",
                        "ports": [{"containerPort": 80, "protocol": "TCP"}],
                        "resources": {"limits": {"cpu": "1", "memory": "1Gi"}},
                    }
                ],
                "restartPolicy": "Always",
            },
        },
    },
}
PLACES: list[tuple[str | int, ...]] = [
    ("metadata",),
    ("metadata", "labels"),
    ("spec", "replicas"),
    ("spec", "selector"),
    ("spec", "strategy", "type"),
    ("spec", "template", "spec", "containers", 0),
    ("spec", "template", "spec", "containers", 0, "name"),
    ("spec", "template", "spec", "containers", 0, "imagePullPolicy"),
    ("spec", "template", "spec", "containers", 0, "ports", 0, "containerPort"),
    ("spec", "template", "spec", "containers", 0, "ports", 0, "protocol"),
    ("spec", "template", "spec", "containers", 0, "resources"),
    ("spec", "template", "spec", "restartPolicy"),
    ("spec", "template", "spec", "nodeSelektor"),
    ("spec", "replikas"),
]
WRONG = st.one_of(
    SCALARS,
    st.sampled_from(["Sometimes", "UDP", "yes", "0777", "1.10", {"a": 1}, [1, "x"], "http"]),
    st.dictionaries(st.sampled_from(["name", "image", "nmae", "type", "x"]), SCALARS, max_size=3),
)


def _mutated(changes: list[tuple[int, Any]]) -> dict[str, Any]:
    import copy

    document = copy.deepcopy(DEPLOYMENT)
    for place, value in changes:
        *parents, last = PLACES[place]
        node: Any = document
        index: Any = last
        # (a place under one that an earlier change replaced is gone: a dict without the key,
        # a shorter list, or a value that is no container)
        for step in parents:
            present = (node.__class__ is dict and step in node) or (
                node.__class__ is list and isinstance(step, int) and step < len(node)
            )
            if present:
                node = node[step]
            else:
                node = None
                break
        if node.__class__ is dict or (
            node.__class__ is list and isinstance(index, int) and len(node) > index
        ):
            node[index] = value
    return document


def _findings(text: str, positioned: bool, direct: bool = True) -> list[Diagnostic]:
    """The findings of the engine as it runs (the schema check's diagnostics made by the
    check itself), from the positioned findings (not ``direct``), or from the checks'
    problems (not ``positioned``: each looked up by its path)."""
    with mock.patch.dict(engine._DIRECT), mock.patch.dict(engine._POSITIONED):
        if not (direct and positioned):
            engine._DIRECT.clear()
        if not positioned:
            engine._POSITIONED.clear()
        return list(lint_text(text).diagnostics)


@settings(max_examples=examples(full=300, quick=60), deadline=None)
@given(
    changes=st.lists(st.tuples(st.integers(0, len(PLACES) - 1), WRONG), min_size=1, max_size=4),
    flow=st.sampled_from([None, False]),
    in_list=st.booleans(),
)
def test_the_engine_reports_what_the_lookup_reports(
    changes: list[tuple[int, Any]], flow: bool | None, in_list: bool
) -> None:
    document = _mutated(changes)
    if in_list:
        document = {"apiVersion": "v1", "kind": "List", "items": [DEPLOYMENT, document]}
    text = yaml.safe_dump(document, default_flow_style=flow, sort_keys=False)
    general = _findings(text, False)
    assert _findings(text, True, direct=False) == general
    assert _findings(text, True) == general


COMMON = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labelz: {app: web}
spec:
  replicas: "2"
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      restartPolicy: Sometimes
      containers:
        - name: web
          image: nginx:1.27
          ports:
            - containerPort: http
        - image: busybox
          name: null
"""


def test_the_common_case_reads_the_records() -> None:
    (obj,) = _objects(COMMON)
    ctx = RuleContext(index=Index([obj]), schemas=SchemaValidator.for_version("1.37"))
    found = list(schema_findings(obj, ctx))
    rules = {finding[0] for finding in found}
    assert {
        "schema-unknown-field",
        "schema-type-mismatch",
        "schema-enum-invalid",
        "schema-required-missing",
    } <= rules
    for rule, path, _, anchor, span, _, _ in found:
        assert span is not None, (rule, path)
        assert span == obj.span_at(to_pointer(path), anchor)


def test_the_engine_runs_the_positioned_findings_without_a_lookup() -> None:
    assert engine._POSITIONED  # the schema check registered its positioned findings
    resolved: list[str] = []
    resolve = PositionTable.resolve

    def spy(self: PositionTable, pointer: str, anchor: Any = "auto") -> Any:
        resolved.append(pointer)
        return resolve(self, pointer, anchor)

    with mock.patch.object(PositionTable, "resolve", spy):
        diagnostics = lint_text(COMMON).diagnostics
    schema = [d for d in diagnostics if d.rule.startswith("schema-")]
    assert len(schema) >= 4
    looked_up = set(resolved)
    assert not [d.path for d in schema if d.path in looked_up]
    assert _findings(COMMON, True) == _findings(COMMON, False)
    assert _findings(COMMON, True, direct=False) == _findings(COMMON, False)


def test_the_engine_makes_the_schema_checks_diagnostics_directly() -> None:
    """The schema check makes its diagnostics itself (``engine.direct``): its positioned
    findings are not asked for, and the diagnostics are those the engine made of them."""
    assert schema_diagnostics in engine._DIRECT.values()
    run_positioned = engine.Engine._run_positioned

    def others_only(obj: Any, step: Any, findings: Any, found: Any) -> None:
        # other checks' positioned findings (name-invalid's) are still made by the engine
        if findings is schema_findings:
            raise AssertionError
        run_positioned(obj, step, findings, found)

    with mock.patch.object(engine.Engine, "_run_positioned", side_effect=others_only):
        direct = list(lint_text(COMMON).diagnostics)
    assert len([d for d in direct if d.rule.startswith("schema-")]) >= 4
    assert direct == _findings(COMMON, True, direct=False)


def test_a_failing_schema_check_is_an_internal_error_whichever_way_it_runs() -> None:
    """The schema check failing, made directly or from its positioned findings, is one
    ``internal-error`` finding on its object, and the other rules' findings are still made."""
    from kpolicy.checks import schema_rules

    def broken(obj: Any, ctx: Any) -> list[Any]:
        raise ZeroDivisionError("deliberate failure in a test")

    expected = [d for d in lint_text(COMMON).diagnostics if not d.rule.startswith("schema-")]
    assert expected  # other rules report on COMMON
    for direct in (True, False):
        with mock.patch.object(schema_rules, "_problem_fields", broken):
            found = _findings(COMMON, True, direct=direct)
        crashes = [d for d in found if d.rule == "internal-error"]
        assert len(crashes) == 1, direct
        assert "failed on Deployment web (ZeroDivisionError: deliberate failure" in (
            crashes[0].message
        )
        assert crashes[0].path == "/kind"
        assert [d for d in found if d.rule != "internal-error"] == expected
