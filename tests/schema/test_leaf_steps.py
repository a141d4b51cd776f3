"""The explainer's leaf steps in C (``kpolicy._cload``'s any_type, typed_one, string_enum and
format_step, which ``kpolicy.schema.lite`` compiles a node's type, typed_one, string_enum and
format_ steps into where the extension is built): the errors and problems of the Python steps,
in their order, with the same calls and exceptions; and the compiled explainers take them."""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from functools import partial
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpolicy.load import load_text
from kpolicy.model import SourceFile
from kpolicy.schema import SchemaValidator, lite, supported_versions
from kpolicy.schema.explain import EXPLAIN_DEPTH, explained_fields
from kpolicy.schema.formats import FORMATS
from tests.helpers import examples, python_only, skip_unless_in_c
from tests.schema.test_fast_check import DOCUMENTS, mutations
from tests.schema.test_hostile import FIELD_NAMES, trees

_C_STEPS = ("_C_ANY_TYPE", "_C_TYPED_ONE", "_C_STRING_ENUM", "_C_FORMAT", "_C_CHILDREN")


def _built() -> None:
    skip_unless_in_c(lite, _C_STEPS)


def _python_steps() -> AbstractContextManager[None]:
    """The Python steps compiled while in it (each C one off)."""
    return python_only(lite, _C_STEPS)


def _compiled_both(schema: Any) -> tuple[Any, Any, dict[int, Any]]:
    """``schema``'s explainer with the C steps, with the Python steps, and the first's memo."""
    memo: dict[int, Any] = {}
    in_c = lite.compile_explainer(schema, FORMATS, EXPLAIN_DEPTH, memo)
    with _python_steps():
        in_python = lite.compile_explainer(schema, FORMATS, EXPLAIN_DEPTH, {})
    return in_c, in_python, memo


def _seen(found: list[Any]) -> list[Any]:
    return [
        (
            error.validator,
            error.validator_value,
            error.absolute_path,
            error.record,
            repr(error.instance),
        )
        if isinstance(error, lite.LiteError)
        else error
        for error in found
    ]


def _outcome(run: Any) -> Any:
    try:
        return ("found", _seen(run()))
    except Exception as exc:  # (compared: the same exception either way)
        return ("raised", type(exc), str(exc))


def _both_alike(in_c: Any, in_python: Any, value: Any, *places: Any) -> None:
    """The errors (without a problem maker) and the problems (with explain's) of ``value``,
    each asked twice (a kept problem the second time), the same with either explainer."""
    for _ in range(2):
        assert _outcome(lambda: in_c(value, *places)) == _outcome(lambda: in_python(value, *places))
        assert _outcome(lambda: explained_fields(in_c, value, *places)) == _outcome(
            lambda: explained_fields(in_python, value, *places)
        )


def _functions(memo: dict[int, Any]) -> set[str]:
    """The names of the C functions of the steps compiled into ``memo``'s nodes."""
    names: set[str] = set()
    for node in memo.values():
        step = node.run
        names.add(getattr(getattr(step, "func", None), "__name__", ""))
        for inner in getattr(step, "args", ()):
            for each in inner if isinstance(inner, tuple) else ():
                if isinstance(each, list):
                    names.update(getattr(getattr(s, "func", None), "__name__", "") for s in each)
                names.add(getattr(getattr(each, "func", None), "__name__", ""))
    return names


class _Text(str):
    """A str of another class: none of a type's exact classes (the Python step tells)."""


VALUES: list[Any] = [
    "a",
    "b",
    "",
    "c",
    "x" * 70,
    "80",
    "http",
    _Text("a"),
    1,
    0,
    -1,
    2**40,
    70000,
    True,
    False,
    1.0,
    2.5,
    -0.0,
    0.0,
    1e300,
    float("inf"),
    float("nan"),
    None,
    {},
    {"a": 1},
    [],
    [1, "x"],
    ("t",),
]


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "integer"},
        {"type": "string"},
        {"type": "boolean"},
        {"type": "number"},
        {"type": ["integer", "null"]},
        {"type": ["string", "integer"]},
        {"type": "object"},
        {"type": "array"},
        {"type": "null"},
        {"type": "integer", "format": "int32"},
        {"type": ["integer", "null"], "format": "int32"},
        {"type": ["integer", "string"], "format": "int-or-percent"},
        {"type": ["number", "string", "null"], "format": "quantity"},
        {"type": "string", "format": "date-time"},
        {"type": "string", "enum": ["a", "b", "", None]},
        {"type": ["string", "null"], "enum": ["a", "c"]},
        {"enum": ["a", "b"], "type": "string"},
        {"format": "int32"},
        {"type": "integer", "minimum": 1},
    ],
)
def test_a_leaf_is_explained_alike_in_c_and_in_python(schema: dict[str, Any]) -> None:
    _built()
    in_c, in_python, memo = _compiled_both(schema)
    for value in VALUES:
        _both_alike(in_c, in_python, value)
        # with a record: the errors carry it, and the problems
        _both_alike(in_c, in_python, value, [1], None, 0)
    # and in a list, in a mapping: each item's path and record
    listed = {"type": "array", "items": schema}
    in_c, in_python, _ = _compiled_both(listed)
    _both_alike(in_c, in_python, VALUES)
    _both_alike(in_c, in_python, VALUES, [len(VALUES) + 9, *[1] * (len(VALUES) + 9)], None, 0)
    mapped = {"type": "object", "additionalProperties": schema}
    in_c, in_python, _ = _compiled_both(mapped)
    _both_alike(in_c, in_python, {f"k{n}": value for n, value in enumerate(VALUES)})
    assert memo, "compiled"


def test_the_leaf_steps_are_the_c_ones_where_it_is_built() -> None:
    """A compiled type, typed_one, string_enum and format_ step is its C function's partial."""
    _built()
    expected = {
        "any_type": {"type": "integer"},
        "typed_one": {"type": "integer", "format": "int32"},
        "string_enum": {"type": "string", "enum": ["a"]},
        "format_step": {"format": "int32"},
        "children_step": {"type": "array", "items": {"type": "string"}},
    }
    for name, schema in expected.items():
        memo: dict[int, Any] = {}
        lite.compile_explainer(schema, FORMATS, EXPLAIN_DEPTH, memo)(None)
        assert name in _functions(memo), name
    if not os.environ.get("KPOLICY_PURE_PYTHON"):
        import kpolicy._cload as built  # type: ignore[import-not-found,unused-ignore]

        assert lite._C_ANY_TYPE is built.any_type
        assert lite._C_FORMAT is built.format_step


def test_a_format_check_that_raises_raises_from_either_step() -> None:
    """A format check's exception comes out of the C step as out of the Python one, and an
    error of another value is still made after it."""
    _built()

    def hostile(value: object) -> None:
        if value == "boom":
            raise ValueError("boom")
        return None if value == "ok" else ("schema-format-invalid", "bad")  # type: ignore[return-value]

    formats = {**FORMATS, "hostile": hostile}
    schema = {"type": "string", "format": "hostile"}
    in_c = lite.compile_explainer(schema, formats, EXPLAIN_DEPTH, {})
    with _python_steps():
        in_python = lite.compile_explainer(schema, formats, EXPLAIN_DEPTH, {})
    for value in ("boom", "ok", "no", 1):
        _both_alike(in_c, in_python, value)
    assert _outcome(lambda: in_c("boom"))[0] == "raised"


def test_the_type_steps_kept_problems_are_the_python_steps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A type error's problem is made once by explain's maker and kept: the C step appends
    the kept one (with each value's own path and record), as the Python step does, and asks
    the maker again for another maker (the kept ones are that maker's)."""
    _built()
    schema = {"type": "object", "additionalProperties": {"type": "string"}}
    in_c, in_python, _ = _compiled_both(schema)
    asked: list[Any] = []

    def maker(raw: Any, value: Any, path: Any, record: int) -> tuple[Any, ...]:
        asked.append(value)
        return ("schema-type-mismatch", path, "value", f"m {value!r}", None, False, record)

    document = {"a": 1, "b": 1, "c": True, "d": 1, "e": 2.5, "f": [], "g": [], "h": -0.0, "i": 0.0}
    found = in_c(document, None, None, -1, maker)
    # 1, a list and a float (by its repr: 0.0 and -0.0 apart) kept
    assert [repr(value) for value in asked] == ["1", "True", "2.5", "[]", "-0.0", "0.0"]
    assert [problem[1] for problem in found] == [(name,) for name in "abcdefghi"]
    assert found[7][3] == "m -0.0" and found[8][3] == "m 0.0"
    asked.clear()
    assert in_python(document, None, None, -1, maker) == found
    asked.clear()
    assert in_c(document, None, None, -1, maker) == found
    assert asked == []
    # another maker: its own problems, made again
    assert explained_fields(in_c, document) == explained_fields(in_python, document)
    asked.clear()
    assert in_c(document, None, None, -1, maker) == found
    assert [repr(value) for value in asked] == ["1", "True", "2.5", "[]", "-0.0", "0.0"]


def test_documents_explained_alike_with_either_steps() -> None:
    """The corpus's documents and their mutations: the same errors and problems."""
    _built()
    validator = SchemaValidator.for_version(supported_versions()[-1])
    roots: Any = validator._builtin.roots
    compiled: dict[Any, tuple[Any, Any, dict[int, Any]]] = {}
    compared = 0
    for index, document in list(enumerate(DOCUMENTS))[::3]:
        for variant in [document, *mutations(document, index)]:
            text = yaml.safe_dump(variant, sort_keys=False)
            for obj in load_text(SourceFile("t.yaml", text)).objects:
                key = (obj.data.get("apiVersion"), obj.data.get("kind"))
                if key not in roots:
                    continue
                if key not in compiled:
                    compiled[key] = _compiled_both(roots[key])
                in_c, in_python, _ = compiled[key]
                table = obj.positions
                record = table.record_at(obj.base, obj.data)
                places = (table.sizes(), table.irregular, record) if record >= 0 else ()
                _both_alike(in_c, in_python, obj.data, *places)
                compared += bool(in_python(obj.data, *places))
    assert compared > 0, "documents with errors were compared"
    taken = set().union(*(_functions(memo) for _, _, memo in compiled.values()))
    assert {"any_type", "typed_one", "string_enum", "format_step", "children_step"} <= taken


@settings(
    max_examples=examples(full=300, quick=100),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(body=st.dictionaries(st.sampled_from(FIELD_NAMES), trees, max_size=5))
def test_random_documents_explained_alike_with_either_steps(body: dict[str, Any]) -> None:
    _built()
    validator = SchemaValidator.for_version(supported_versions()[-1])
    roots: Any = validator._builtin.roots
    in_c, in_python, _ = _compiled_both(roots["apps/v1", "Deployment"])
    _both_alike(in_c, in_python, {"apiVersion": "apps/v1", "kind": "Deployment", **body})


class _Listed(list[Any]):
    """A list of another class: the Python step's (which walks it with the Python loop)."""


@pytest.mark.parametrize("max_depth", [EXPLAIN_DEPTH, 1, 2])
def test_children_are_explained_alike_in_c_and_in_python(max_depth: int) -> None:
    """The items of a list and the other keys of a map (children_step): the same errors with
    the records of a regular table, of an irregular one, with none, and past max_depth (the
    Python step's there, which raises as it did)."""
    _built()
    schemas: list[dict[str, Any]] = [
        {"type": "array", "items": {"type": "integer"}},
        {
            "type": ["array", "null"],
            "items": {
                "type": "object",
                "properties": {"a": {"type": "string"}},
                "additionalProperties": False,
            },
        },
        {"type": "object", "additionalProperties": {"type": "string"}},
        {
            "type": ["object", "null"],
            "properties": {"p": {"type": "string"}},
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    ]
    values: list[Any] = [
        [1, "x", [2], {"a": 1}, True],
        {"p": 1, "q": 2, "r": "s", "t": [1, "u"], "v": {"a": 1}},
        _Listed([1, "x"]),
        None,
        "s",
        1,
        [[["x"]]],
        {"a": {"b": {"c": 1}}},
        [],
        {},
    ]
    sizes = [12, 1, 1, 2, 1, 2, 1, 1, 1, 1, 1, 1, 1]
    for schema in schemas:
        memo: dict[int, Any] = {}
        in_c = lite.compile_explainer(schema, FORMATS, max_depth, memo)
        with _python_steps():
            in_python = lite.compile_explainer(schema, FORMATS, max_depth, {})
        for value in values:
            _both_alike(in_c, in_python, value)
            _both_alike(in_c, in_python, value, sizes, None, 0)
            _both_alike(in_c, in_python, value, sizes, {0}, 0)
            _both_alike(in_c, in_python, value, sizes, frozenset({3}), 0)
            _both_alike(in_c, in_python, value, sizes, None, 2)
        assert "children_step" in _functions(memo)


class _Name(str):
    """A type name of another class: never one of the known names."""


@pytest.mark.parametrize(
    "declared",
    [
        "string",
        "object",
        "nothing",
        ["string", "null"],
        ["object", "null"],
        ["array"],
        [],
        [_Name("string")],
        ["string", _Name("null")],
        ["string", {"a": 1}],
        ["string", 1],
        ("string",),
        None,
        _Name("object"),
    ],
)
def test_a_types_declared_classes_are_kept_as_worked_out(declared: Any) -> None:
    """What a node's type passes is kept by its name or its names (of str only): the answer
    worked out, asked again, and for a list of equal names of another class not confused
    with it."""
    for among in (None, "string", "object", "array"):
        expected = lite._declared_classes_of(declared, among)
        assert lite._declared_classes(declared, among) == expected
        assert lite._declared_classes(declared, among) == expected
    if isinstance(declared, list) and all(name.__class__ is str for name in declared):
        assert (tuple(declared), None) in lite._DECLARED
    lite._declared_classes(["string"], "string")
    assert lite._declared_classes([_Name("string")], "string") is None


def test_the_kept_declared_classes_stay_within_their_bound() -> None:
    for number in range(lite._DECLARED_KEPT + 5):
        assert lite._declared_classes([f"t{number}"]) is None
    assert len(lite._DECLARED) <= lite._DECLARED_KEPT
    assert lite._declared_classes(["string", "null"]) == frozenset((str, type(None)))


def test_an_enum_errors_message_is_kept_for_its_short_strings() -> None:
    """An enum error's message is made once for a short str value of that enum (the same
    message after), never kept for another value, and the kept ones stay within a bound."""
    from kpolicy.schema import explain as explained

    values = ["Always", "Never", "IfNotPresent"]

    def message(instance: Any) -> str:
        return explained._enum_message(
            lite.LiteError("enum", values, instance, {"enum": values}, ())
        )

    first = message("always")
    assert first.endswith('(did you mean "Always"?)')
    assert message("always") is first
    assert message("x" * 70) == message("x" * 70)
    assert message("x" * 70) is not message("x" * 70)
    assert message(_Name("always")) == first
    kept = explained._ENUMS[id(values)][3]
    assert set(kept) == {"always"}
    for number in range(explained._MESSAGES_KEPT + 3):
        message(f"v{number}")
    assert len(kept) <= explained._MESSAGES_KEPT
    assert message("always") == first
    # the messages of all enums within the bound too (a language server lives long)
    others = [[f"e{number}", "x"] for number in range(8)]
    for each in others:
        for number in range(explained._MESSAGES_KEPT // 4):
            explained._enum_message(lite.LiteError("enum", each, f"w{number}", {}, ()))
    assert sum(len(kept[3]) for kept in explained._ENUMS.values()) <= explained._MESSAGES_KEPT
    assert explained._enum_messages <= explained._MESSAGES_KEPT
    assert message("always") == first


def test_a_float_where_integers_belong_is_told_in_c() -> None:
    """A float at a node of integers (not numbers) passes when integral and fails otherwise,
    told by the C step itself (the Python step is not asked), with its problem kept by its
    repr: the problems of the Python step."""
    _built()
    schema = {"type": ["integer", "null"]}
    memo: dict[int, Any] = {}
    lite.compile_explainer(schema, FORMATS, EXPLAIN_DEPTH, memo)(None)
    step = memo[id(schema)].run
    assert step.func.__name__ == "any_type"
    asked: list[Any] = []
    data = step.args[0]

    def general(instance: Any, path: Any, record: int, out: Any) -> None:
        asked.append(instance)
        data[5](instance, path, record, out)

    counted = partial(step.func, (*data[:5], general))
    with _python_steps():
        in_python = lite.compile_explainer(schema, FORMATS, EXPLAIN_DEPTH, {})

    def made(raw: Any, value: Any, path: Any, record: int) -> tuple[Any, ...]:
        return ("schema-type-mismatch", path, "value", f"m {value!r}", None, False, record)

    for value in (2.0, -0.0, 1e300, 2.5, float("inf"), 2.5, -2.5, 3):
        out = lite._Found(None, None, made)
        counted(value, (), -1, out)
        assert out == in_python(value, None, None, -1, made), value
    # integral floats and ints pass in C; 2.5 is made once (then kept), inf and -2.5 made
    assert [repr(value) for value in asked] == ["2.5", "inf", "-2.5"]
