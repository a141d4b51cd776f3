"""The C extension's makers of a finding's records (kpolicy/_cload.c) against the Python they
stand in for: ``span_of`` (``PositionTable.spans()``) makes the Span that
``PositionTable.span_of`` makes, ``new_record`` (``records.slot_maker``) the record that its
open twin makes, and ``schema_diagnostics`` the schema check's findings that its loop in Python
makes; the schema check takes them where the extension is built."""

from __future__ import annotations

import array
import contextlib
import os
import pickle
import subprocess
import sys
from dataclasses import FrozenInstanceError
from functools import partial
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kpolicy import positions
from kpolicy.checks import RuleContext, schema_rules
from kpolicy.index import Index
from kpolicy.load import load_documents, load_text
from kpolicy.model import (
    Diagnostic,
    ObjectRef,
    Origin,
    Severity,
    SourceFile,
    Span,
    diagnostic,
    diagnostic_maker,
)
from kpolicy.positions import RECORD, PositionTable
from kpolicy.records import fields, open_twin, record, record_slots, slot_maker
from kpolicy.records import replace as replace_fields
from kpolicy.schema import SCHEMA_RULES, SchemaValidator
from tests.helpers import examples
from tests.schema.test_positioned import PLACES, WRONG, _mutated

ROOT = Path(__file__).resolve().parents[1]
BUILT = sorted((ROOT / "kpolicy").glob("_cload*.so")) + sorted(
    (ROOT / "kpolicy").glob("_cload*.pyd")
)


def _cload() -> Any:
    if os.environ.get("KPOLICY_PURE_PYTHON"):
        pytest.skip("KPOLICY_PURE_PYTHON is set: the C extension is off by request")
    if not BUILT:
        pytest.skip("kpolicy/_cload*.so is not built (the install found no C compiler)")
    import kpolicy._cload as built  # type: ignore[import-not-found,unused-ignore]

    positions._c_span_of()  # (which names Span to the extension)
    return built


def _same_span(made: Any, expected: Span) -> None:
    assert type(made) is Span
    assert made == expected and hash(made) == hash(expected) and repr(made) == repr(expected)
    assert pickle.loads(pickle.dumps(made)) == expected
    assert all(type(getattr(made, name)) is int for name in Span.__slots__)
    with pytest.raises(FrozenInstanceError):
        made.line = 3  # type: ignore[misc]


_ANCHORS = ["auto", "key", "value", "other", "", 3, None]


@settings(max_examples=examples(full=400, quick=120), deadline=None)
@given(
    records_of=st.lists(
        st.lists(st.integers(0, 65_535), min_size=RECORD, max_size=RECORD), max_size=4
    ),
    typecode=st.sampled_from(["H", "i"]),
    index=st.integers(0, 4),
    anchor=st.sampled_from(_ANCHORS),
)
def test_the_c_span_of_makes_the_methods_span(
    records_of: list[list[int]], typecode: str, index: int, anchor: Any
) -> None:
    span_of = _cload().span_of
    # whole records (as the loaders make them); wide numbers in an array of "i"
    numbers = [number for record in records_of for number in record]
    wide = [number * 30_000 for number in numbers] if typecode == "i" else numbers
    records = array.array(typecode, wide)
    table = PositionTable.compact({}, records)
    if index >= len(records_of):
        with pytest.raises(IndexError):
            table.span_of(index, anchor)
        with pytest.raises(IndexError):
            span_of(records, index, anchor)
        return
    expected = table.span_of(index, anchor)
    _same_span(span_of(records, index, anchor), expected)
    _same_span(table.spans()(index, anchor), expected)


def test_a_tables_spans_are_the_c_span_of_where_it_is_built() -> None:
    built = _cload()
    assert positions._c_span_of() is built.span_of
    text = "a:\n  b: [1, 2]\n  c: |\n    x\n    y\nd: e\n"
    table = load_documents(SourceFile("x.yaml", text))[0][0].positions
    spans = table.spans()
    assert isinstance(spans, partial) and spans.func is built.span_of
    for pointer in ("", "/a", "/a/b", "/a/b/1", "/a/c", "/d"):
        index = table._record_of(pointer)
        assert index is not None and index >= 0
        for anchor in ("auto", "key", "value"):
            expected = table.span_of(index, anchor)
            _same_span(spans(index, anchor), expected)
            assert expected == table.resolve(pointer, anchor)[0]
    # a table of entries (no records) answers with its method
    entries = PositionTable({"": (None, Span(1, 1, 1, 2))})
    assert entries.spans() == entries.span_of


def test_the_c_span_of_tells_an_anchor_by_its_text_not_its_identity() -> None:
    """The C ``span_of`` takes the interned anchors by identity and any other str by its
    text: an equal str made at run time, or of another class, is the same anchor; any other
    value is none of "key" and "auto" (as the method: the node's own span)."""
    built = _cload()
    text = "a:\n  b: [1, 2]\n  c: |\n    x\n    y\nd: e\n"
    table = load_documents(SourceFile("x.yaml", text))[0][0].positions
    records = table._records

    class Text(str):
        """A str of another class."""

    for pointer in ("", "/a", "/a/b", "/a/b/1", "/a/c", "/d"):
        index = table._record_of(pointer)
        assert index is not None and index >= 0
        for anchor in ("auto", "key", "value"):
            expected = table.span_of(index, anchor)
            made_now = "".join(list(anchor))
            for same in (anchor, made_now, Text(anchor)):
                _same_span(built.span_of(records, index, same), expected)
        for other in ("keys", "", 3, None, b"key"):
            _same_span(built.span_of(records, index, other), table.span_of(index, other))  # type: ignore[arg-type]


def test_the_path_walk_makes_its_span_with_the_c_span_of_where_it_is_built() -> None:
    """``path_span`` (once a finding) makes its span with the C ``span_of``, not the method,
    where the extension is built: the same span as the method's, found and missing paths
    alike; without the extension, with the method."""
    _cload()
    text = "a:\n  b: [1, 2]\n  c: |\n    x\n    y\nd: e\n"
    table = load_documents(SourceFile("x.yaml", text))[0][0].positions
    root = table._root
    paths: list[tuple[Any, ...]] = [(), ("a",), ("a", "b"), ("a", "b", 1), ("a", "c"), ("d",)]
    paths += [("a", "missing"), ("a", "b", 5), ("a", "c", "deeper")]
    for path in paths:
        for anchor in ("auto", "key", "value"):
            with mock.patch.object(PositionTable, "span_of", side_effect=AssertionError):
                made = table.path_span("", root, path, anchor)
            assert made is not None
            with mock.patch.object(positions, "_c_span_of", return_value=None):
                expected = table.path_span("", root, path, anchor)
            assert expected is not None
            _same_span(made, expected)
            pointer = "".join(f"/{token}" for token in path)
            assert expected == table.resolve(pointer, anchor)[0]
    assert table.path_span("", root, ("missing",), "auto") is None  # (nothing of it: None)


def test_without_the_extension_spans_are_the_method(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPOLICY_PURE_PYTHON", "1")
    positions._c_span_of.cache_clear()
    try:
        table = PositionTable.compact({}, array.array("H", [1] * RECORD))
        assert table.spans() == table.span_of
        assert slot_maker(Diagnostic) is None
    finally:
        monkeypatch.delenv("KPOLICY_PURE_PYTHON")
        positions._c_span_of.cache_clear()


def test_span_class_declines_what_is_not_spans_shape() -> None:
    built = _cload()

    class Other:
        __slots__ = ("column", "end_line", "line")

    class WithDict:
        pass

    for cls in (Other, WithDict, int, "Span"):
        assert built.span_class(cls) is False
    assert built.span_class(Span) is True


def _fields(made: Diagnostic) -> list[Any]:
    return [getattr(made, name) for name in Diagnostic.__slots__]


def test_the_c_maker_makes_the_records_open_twin_makes() -> None:
    _cload()
    make = slot_maker(Diagnostic)
    assert make is not None and open_twin(Diagnostic) is not None
    ref = ObjectRef("v1", "Pod", None, "p")
    values = ("rule-x", Severity.ERROR, "a message", "f.yaml", Span(1, 2, 3, 4), "/a/b", ref)
    made = make(*values, (), None, None, True, None, None)
    expected = diagnostic(*values, (), None, None, True)
    assert type(made) is Diagnostic
    assert made == expected and repr(made) == repr(expected) and hash(made) == hash(expected)
    assert _fields(made) == _fields(expected)
    assert pickle.loads(pickle.dumps(made)) == expected
    with pytest.raises(FrozenInstanceError):
        made.rule = "other"  # type: ignore[misc]
    # a value for each field, no more, no less
    with pytest.raises(TypeError):
        make(*values)
    assert slot_maker(Span) is not None


def test_the_c_maker_holds_each_value_once() -> None:
    """The maker writes each value into its slot (the slots of a new record are empty): the
    very value, held once while the record lives and let go with it."""
    _cload()
    make = slot_maker(Diagnostic)
    assert make is not None
    values = [f"value {index} {id(object())}" for index in range(13)]
    before = [sys.getrefcount(value) for value in values]
    made = make(*values)
    names = [field.name for field in fields(Diagnostic)]
    assert all(getattr(made, name) is value for name, value in zip(names, values, strict=True))
    assert [sys.getrefcount(value) for value in values] == [count + 1 for count in before]
    del made
    assert [sys.getrefcount(value) for value in values] == before


def test_a_record_with_a_post_init_has_no_c_maker() -> None:
    # (the maker sets the slots without __init__, so __post_init__ would not run; its open
    # twin is made all the same)
    _cload()

    @record(frozen=True, slots=True)
    class Checked:
        a: int
        b: int
        c: int
        d: int

        def __post_init__(self) -> None:
            if self.a < 0:
                raise ValueError("a is negative")

    assert open_twin(Checked) is not None
    assert record_slots(Checked) is None and slot_maker(Checked) is None
    with pytest.raises(ValueError):
        Checked(-1, 2, 3, 4)


def test_the_schema_check_makes_its_findings_with_the_c_maker() -> None:
    built = _cload()
    maker = diagnostic_maker()
    assert isinstance(maker, partial) and maker.func is built.new_record


def test_the_python_fallback_makes_the_same_finding() -> None:
    ref = ObjectRef("v1", "Pod", None, "p")
    values = ("rule-x", Severity.WARNING, "m", "f.yaml", Span(1, 2, 3, 4), "/a", ref)
    made = diagnostic(*values, (), None, None, False, None, None)
    assert made == Diagnostic(*values, (), None, None, False)
    origin = Origin("templates/d.yaml", 4, None)  # every field, origin and found_at too
    found = diagnostic(*values, (), None, None, True, origin, ("o.yaml", "/b"))
    assert found == Diagnostic(*values, (), None, None, True, origin, ("o.yaml", "/b"))


# a Deployment whose pod template's metadata merges its own (a mapping whose records do not
# follow its keys: its problems have no record, and are looked up)
MERGED = """\
apiVersion: apps/v1
kind: Deployment
metadata: &meta
  name: web
  labels: {app: web}
spec:
  replicas: "2"
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      <<: *meta
      labelz: 1
      namespace: 7
    spec:
      containers:
        - {name: web, image: 5, imagePullPolicy: sometimes, nmae: x}
"""


def _schema_rows(text: str, fixes: bool, dropped: frozenset[str], python: bool) -> list[Any]:
    objects = load_text(SourceFile("t.yaml", text)).objects
    ctx = RuleContext(
        index=Index(list(objects)), schemas=SchemaValidator.for_version("1.37"), fixes=fixes
    )
    reports = {rule: Severity.ERROR for rule in sorted(SCHEMA_RULES) if rule not in dropped}
    rejecting = frozenset(sorted(reports)[::2])
    made: list[Any] = []
    for obj in objects:
        with contextlib.ExitStack() as python_only:
            if python:
                # the loop in Python, with the Python maker and spans too (as without the
                # extension): none of the C it is compared with
                python_only.enter_context(
                    mock.patch.object(schema_rules, "_rows", return_value=None)
                )
                python_only.enter_context(
                    mock.patch.object(schema_rules, "diagnostic_maker", return_value=diagnostic)
                )
                python_only.enter_context(
                    mock.patch.object(positions, "_c_span_of", return_value=None)
                )
            schema_rules.schema_diagnostics(obj, ctx, reports, rejecting, made)
    return [(type(found), repr(found), found) for found in made]


@settings(max_examples=examples(full=300, quick=80), deadline=None)
@given(
    changes=st.lists(st.tuples(st.integers(0, len(PLACES) - 1), WRONG), min_size=1, max_size=4),
    fixes=st.booleans(),
    dropped=st.frozensets(st.sampled_from(sorted(SCHEMA_RULES)), max_size=2),
)
def test_the_schema_loop_in_c_makes_what_the_python_loop_makes(
    changes: list[tuple[int, Any]], fixes: bool, dropped: frozenset[str]
) -> None:
    _cload()
    text = yaml.safe_dump(_mutated(changes), sort_keys=False)
    expected = _schema_rows(text, fixes, dropped, python=True)
    assert _schema_rows(text, fixes, dropped, python=False) == expected


def test_the_schema_loop_in_c_skips_a_rule_reported_as_none_as_the_python_loop() -> None:
    # (the Python loop's ``reports.get(rule) is None``: a rule there with None has no finding)
    _cload()
    (obj,) = load_text(SourceFile("t.yaml", MERGED)).objects
    ctx = RuleContext(index=Index([obj]), schemas=SchemaValidator.for_version("1.37"))
    reports: dict[str, Any] = {rule: Severity.WARNING for rule in sorted(SCHEMA_RULES)}
    reports["schema-unknown-field"] = None
    made: dict[bool, list[Any]] = {}
    for python in (True, False):
        made[python] = []
        with (
            mock.patch.object(schema_rules, "_rows", return_value=None)
            if python
            else (contextlib.nullcontext())
        ):
            schema_rules.schema_diagnostics(obj, ctx, reports, frozenset(), made[python])
    assert made[True] and all(found.rule != "schema-unknown-field" for found in made[True])
    assert made[False] == made[True]


def test_the_schema_loop_in_c_is_taken_and_looks_up_what_has_no_record() -> None:
    built = _cload()
    rows = schema_rules._rows()
    assert rows is not None and rows[0] is built.schema_diagnostics
    (obj,) = load_text(SourceFile("t.yaml", MERGED)).objects
    ctx = RuleContext(index=Index([obj]), schemas=SchemaValidator.for_version("1.37"))
    records = [fields[-1] for fields in schema_rules._problem_fields(obj, ctx)]
    assert -1 in records and any(record >= 0 for record in records)
    calls: list[Any] = []

    def counted(*args: Any) -> None:
        calls.append(args)
        built.schema_diagnostics(*args)

    with mock.patch.object(schema_rules, "_rows", return_value=(counted, rows[1])):
        for fixes in (False, True):
            for dropped in (frozenset(), frozenset({"schema-type-mismatch"})):
                made = _schema_rows(MERGED, fixes, dropped, python=False)
                assert made == _schema_rows(MERGED, fixes, dropped, python=True)
                # (the quote fixes are the type mismatches')
                assert any(found.fix is not None for _, _, found in made) == (fixes and not dropped)
                assert all(found.rule not in dropped for _, _, found in made)
    assert len(calls) == 4


@pytest.mark.parametrize("index", [-(-(2**64) // RECORD), 2**63 - 1, 2**63, 2**70])
def test_the_c_span_of_raises_as_the_method_on_an_index_too_large(index: int) -> None:
    # (an index whose records' place overflows a Py_ssize_t once multiplied: found out of
    # range before, where the product wrapped to a record of the table and made its span)
    span_of = _cload().span_of
    records = array.array("H", range(2 * RECORD))
    with pytest.raises(IndexError):
        PositionTable.compact({}, records).span_of(index, "auto")
    with pytest.raises(IndexError):
        span_of(records, index, "auto")


def _deep_crd(levels: int) -> str:
    """A CustomResourceDefinition whose schema nests ``levels`` objects (each with a field
    its kind does not have, and a list of one under allOf), wrong at the bottom: the C loops
    call the explainer through each level."""
    lines = [
        "apiVersion: apiextensions.k8s.io/v1",
        "kind: CustomResourceDefinition",
        "metadata: {name: foos.example.com}",
        "spec:",
        "  group: example.com",
        "  names: {kind: Foo, plural: foos}",
        "  scope: Namespaced",
        "  versions:",
        "  - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {}}}",
        "  - name: v2",
        "    schema:",
        "      openAPIV3Schema:",
    ]
    indent = 8
    for level in range(levels):
        pad = " " * indent
        lines += [f"{pad}bogus{level}: 1", f"{pad}allOf: [{{type: 7}}]", f"{pad}properties:"]
        lines.append(f"{pad}  a:")
        indent += 4
    lines.append(" " * indent + "type: 7")
    return "\n".join(lines) + "\n"


def test_a_run_reports_alike_with_the_c_loops_and_with_their_python(tmp_path: Path) -> None:
    # the whole run, once with the extension's schema loops, spans and makers and once under
    # KPOLICY_PURE_PYTHON (their Python, and the Python loader): the same report, on
    # mutated documents, merged and duplicate keys, a kind: List and CRDs nested past the
    # explainer's depth and short of it
    _cload()
    from tests.schema.test_fast_check import DOCUMENTS, mutations

    for index, document in list(enumerate(DOCUMENTS))[::12]:
        variants = [document, *mutations(document, index)]
        text = "---\n".join(yaml.safe_dump(variant, sort_keys=False) for variant in variants)
        (tmp_path / f"m{index}.yaml").write_text(text)
    (tmp_path / "merged.yaml").write_text(MERGED + "  replicas: 3\n")
    listed = {"apiVersion": "v1", "kind": "List", "items": DOCUMENTS[:8]}
    (tmp_path / "list.yaml").write_text(yaml.safe_dump(listed, sort_keys=False))
    for levels in (10, 48, 60):
        (tmp_path / f"deep{levels}.yaml").write_text(_deep_crd(levels))
    reports = []
    for pure in (False, True):
        env = {k: v for k, v in os.environ.items() if k != "KPOLICY_PURE_PYTHON"}
        if pure:
            env["KPOLICY_PURE_PYTHON"] = "1"
        done = subprocess.run(
            [sys.executable, "-m", "kpolicy", "lint", "--format", "sarif", "--no-cache", "."],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 1, done.stderr
        reports.append(done.stdout)
    assert reports[0] == reports[1]
    assert reports[0].count('"ruleId": "schema-') > 100


class _OtherSpan(Span):
    """A Span of another class (its key is SORT_KEY's own)."""


class _OtherDiagnostic(Diagnostic):
    """A Diagnostic of another class."""


def test_the_c_sort_key_is_sort_key() -> None:
    """``model.sort_key()`` (what a worker sorts an object's findings with) is the C
    extension's sort_key where it is built: SORT_KEY's tuple of a Diagnostic read from its
    slots, and of anything else (another class, another span class, a missing field)
    SORT_KEY's own answer, or its error."""
    from types import SimpleNamespace

    from kpolicy.model import SORT_KEY, sort_key

    built = _cload()
    key = sort_key()
    assert key is built.sort_key
    base = Diagnostic(
        "r",
        Severity.ERROR,
        "m",
        "f.yaml",
        Span(3, 4, 5, 6),
        "/a",
        ObjectRef("v1", "Pod", None, "p"),
    )
    odd: list[Any] = [
        base,
        replace_fields(base, span=Span(True, 2.5, 1, 1), rule="z", message=""),  # type: ignore[arg-type]
        replace_fields(base, file="a\udcff", span=Span(10**30, -1, 0, 0)),
        replace_fields(base, span=_OtherSpan(1, 2, 3, 4)),
        _OtherDiagnostic(**{name: getattr(base, name) for name in Diagnostic.__slots__}),
        SimpleNamespace(file="f", span=SimpleNamespace(line=1, column=2), rule="r", message="m"),
    ]
    for item in odd:
        assert key(item) == SORT_KEY(item)
        assert type(key(item)) is tuple
    assert sorted(odd[:4], key=key) == sorted(odd[:4], key=SORT_KEY)
    for missing in (SimpleNamespace(file="f"), object()):
        with pytest.raises(AttributeError):
            key(missing)


_TEXTS = st.sampled_from(["", "a", "b", "a.yaml", "b/c.yaml", "é", "\U0001f600", "a\udcff", "r-1"])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            _TEXTS,
            st.integers(-3, 3) | st.integers(2**62, 2**62 + 2),
            st.integers(-2, 2),
            _TEXTS,
            _TEXTS,
        ),
        max_size=14,
    )
)
def test_the_c_sort_of_findings_is_one_stable_sort_by_sort_key(
    keys: list[tuple[str, int, int, str, str]],
) -> None:
    """``kpolicy.model.sort_findings`` (``_cload.sort_findings`` where it is built) sorts a
    list in place as ``list.sort(key=SORT_KEY)`` does: strs by code points (lone surrogates
    and astral characters too), ints as numbers, equal keys in their order."""
    from kpolicy.model import SORT_KEY, sort_findings, sort_key

    built = _cload()
    assert sort_key() is built.sort_key
    ref = ObjectRef("v1", "Pod", None, "p")
    found = [
        Diagnostic(rule, Severity.ERROR, message, file, Span(line, column, 0, 0), f"/{n}", ref)
        for n, (file, line, column, rule, message) in enumerate(keys)
    ]
    expected = sorted(found, key=SORT_KEY)
    in_c = [*found]
    assert built.sort_findings(in_c) is True
    assert [id(d) for d in in_c] == [id(d) for d in expected]
    again = [*found]
    sort_findings(again)
    assert [id(d) for d in again] == [id(d) for d in expected]


def test_the_c_sort_of_findings_declines_what_it_does_not_read() -> None:
    """A list with a finding of another class, another span class, a line that is no int (a
    bool) or past a C long, or a field of another type is left as it is by the C sort (False),
    and :func:`kpolicy.model.sort_findings` sorts it by the key: SORT_KEY's order."""
    from kpolicy.model import SORT_KEY, sort_findings

    built = _cload()
    base = Diagnostic(
        "r",
        Severity.ERROR,
        "m",
        "f.yaml",
        Span(3, 4, 5, 6),
        "/a",
        ObjectRef("v1", "Pod", None, "p"),
    )
    later = replace_fields(base, span=Span(9, 1, 9, 1))
    for odd in [
        _OtherDiagnostic(**{name: getattr(base, name) for name in Diagnostic.__slots__}),
        replace_fields(base, span=_OtherSpan(1, 2, 3, 4)),
        replace_fields(base, span=Span(True, 1, 1, 1)),
        replace_fields(base, span=Span(10**30, 1, 1, 1)),
        replace_fields(base, rule=_Text("q")),
    ]:
        found = [later, odd, base]
        assert built.sort_findings(found) is False
        assert found == [later, odd, base]
        sort_findings(found)
        assert [id(d) for d in found] == [id(d) for d in sorted([later, odd, base], key=SORT_KEY)]
    for short in ([], [base]):
        assert built.sort_findings(short) is True
    with pytest.raises(TypeError):
        built.sort_findings((later, base))


class _Text(str):
    """A str of another class."""


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["schema-a", "schema-b", "specific", "other"]),
            st.integers(0, 3) | st.integers(2**62, 2**62 + 1),
            st.integers(0, 2),
        ),
        max_size=14,
    )
)
def test_the_c_generic_duplicates_are_the_python_loops(
    cases: list[tuple[str, int, int]],
) -> None:
    """``lint.post.drop_generic_duplicates`` in C (``_cload.generic_duplicates``) keeps what
    its Python loops keep, in order: the findings themselves, the list itself where nothing
    is specific (or there are fewer than two)."""
    from kpolicy.lint import post

    built = _cload()
    made = post._c_duplicates()
    assert made is not None and made is built.generic_duplicates
    generic = frozenset({"schema-a", "schema-b"})
    ref = ObjectRef("v1", "Pod", None, "p")
    found = [
        Diagnostic(rule, Severity.ERROR, "m", "f.yaml", Span(line, column, 0, 0), f"/{n}", ref)
        for n, (rule, line, column) in enumerate(cases)
    ]
    in_c = post.drop_generic_duplicates(found, generic)
    with mock.patch.object(post, "_c_duplicates", return_value=None):
        in_python = post.drop_generic_duplicates(found, generic)
    assert [id(d) for d in in_c] == [id(d) for d in in_python]
    assert (in_c is found) == (in_python is found)
    if len(found) >= 2:
        direct = made(found, generic)
        assert direct is not None
        assert [id(d) for d in direct] == [id(d) for d in in_python]
        assert made(found, set(generic)) == direct


def test_the_c_generic_duplicates_decline_what_they_do_not_read() -> None:
    """A finding of another class or span class, a line that is a bool or past a long long, a
    rule of another type, or a generic set of another type: None (the Python loops decide),
    and drop_generic_duplicates keeps what they keep."""
    from kpolicy.lint import post

    built = _cload()
    post._c_duplicates()
    base = Diagnostic(
        "specific",
        Severity.ERROR,
        "m",
        "f.yaml",
        Span(3, 4, 5, 6),
        "/a",
        ObjectRef("v1", "Pod", None, "p"),
    )
    schema = replace_fields(base, rule="schema-a")
    generic = frozenset({"schema-a"})
    for odd in [
        _OtherDiagnostic(**{name: getattr(schema, name) for name in Diagnostic.__slots__}),
        replace_fields(schema, span=_OtherSpan(3, 4, 5, 6)),
        replace_fields(schema, span=Span(True, 4, 5, 6)),
        replace_fields(schema, span=Span(10**30, 4, 5, 6)),
        replace_fields(schema, rule=_Text("schema-a")),
    ]:
        assert built.generic_duplicates([base, odd, schema], generic) is None
        kept = post.drop_generic_duplicates([base, odd, schema], generic)
        with mock.patch.object(post, "_c_duplicates", return_value=None):
            assert kept == post.drop_generic_duplicates([base, odd, schema], generic)
    assert built.generic_duplicates([base, schema], ["schema-a"]) is None
    assert built.generic_duplicates([base, schema], generic) == [base]
    # (drop_generic_duplicates takes it)
    calls: list[int] = []

    def counted(found: list[Diagnostic], rules: Any) -> Any:
        calls.append(len(found))
        return built.generic_duplicates(found, rules)

    with mock.patch.object(post, "_c_duplicates", return_value=counted):
        assert post.drop_generic_duplicates([base, schema], generic) == [base]
    assert calls == [2]


def test_the_c_span_of_holds_each_number_once() -> None:
    """The C ``span_of`` writes each of a span's numbers into its empty slot (as its
    descriptor would): the number held once, by the span, and let go with it."""
    built = _cload()
    text = "\n" * 400 + "a:\n  b: 1000\n"
    table = load_documents(SourceFile("x.yaml", text))[0][0].positions
    index = table._record_of("/a/b")
    assert index is not None and index >= 0
    span = built.span_of(table._records, index, "value")
    _same_span(span, table.span_of(index, "value"))
    assert span.line > 256
    # (counted outside an assert, which keeps the values it shows): the span's, the argument's
    counts = (sys.getrefcount(span.line), sys.getrefcount(span.end_line))
    assert counts == (2, 2)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(st.sampled_from("ab~/é\U0001f600 0"), max_size=5),
            st.integers(-5, 5),
            st.integers(2**62, 2**64),
            st.booleans(),
            st.none(),
        ),
        max_size=40,
    )
)
def test_the_c_pointer_of_a_path_is_the_python_pointer(tokens: list[Any]) -> None:
    """``_cload.path_pointer`` writes the pointer of a path of plain tokens (a str without
    "~" or "/", an int within a long long) as ``model._pointer`` does in Python, and declines
    (None) any other, which the Python function writes (escaped); ``_pointer`` takes it."""
    from kpolicy import model

    built = _cload()
    assert model._c_pointer() == built.path_pointer
    path = tuple(tokens)
    with mock.patch.object(model, "_c_pointer", return_value=None):
        expected = model._pointer(path)
    made = built.path_pointer(path)
    plain = all(
        (type(t) is str and "~" not in t and "/" not in t) or (type(t) is int and abs(t) < 2**63)
        for t in tokens
    )
    if plain:
        assert made == expected and type(made) is str
    else:
        assert made is None
    assert model._pointer(path) == expected
    assert built.path_pointer(list(tokens)) is None
