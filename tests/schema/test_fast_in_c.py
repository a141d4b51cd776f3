"""The fast check's object and array nodes in C (``kpolicy._cload``'s fast_object and
fast_array, which ``kpolicy.schema.fast`` compiles those nodes into where the extension is
built): the answers of the Python checks, with the same calls of the children's checks in the
same order and the same exceptions; and the compiled checks take them."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpolicy.load import load_text
from kpolicy.model import SourceFile
from kpolicy.schema import SchemaValidator, fast, supported_versions
from tests.helpers import examples, python_only, skip_unless_in_c
from tests.schema.test_fast_check import DOCUMENTS, mutations
from tests.schema.test_hostile import FIELD_NAMES, trees

_C_CHECKS = ("_C_FAST_OBJECT", "_C_FAST_ARRAY")


def _built() -> None:
    skip_unless_in_c(fast, _C_CHECKS)


def _python_checks() -> AbstractContextManager[None]:
    """The Python checks compiled while in it (each C one off)."""
    return python_only(fast, _C_CHECKS)


def _outcome(check: Any, value: Any) -> Any:
    try:
        return ("answered", bool(check(value)))
    except Exception as exc:  # (compared: the same exception either way)
        return ("raised", type(exc), str(exc))


def _both(schema: Any) -> tuple[Any, Any, dict[int, Any]]:
    """``schema``'s check with the C nodes, with the Python ones, and the first's memo."""
    memo: dict[int, Any] = {}
    in_c = fast.compile_fast(schema, memo)
    with _python_checks():
        in_python = fast.compile_fast(schema, {})
    return in_c, in_python, memo


def _functions(memo: dict[int, Any]) -> set[str]:
    return {getattr(getattr(check, "func", None), "__name__", "") for check in memo.values()}


class _Mapping(dict[str, Any]):
    """A dict of another class: neither check passes it (jsonschema decides)."""


class _Listed(list[Any]):
    """A list of another class: likewise."""


VALUES: list[Any] = [
    {},
    {"a": "x"},
    {"a": 1},
    {"a": "x", "b": [1, 2]},
    {"a": "x", "b": [1, "2"]},
    {"a": "x", "b": [1, None]},
    {"a": "x", "z": True},
    {"a": "x", "z": "s"},
    {1: "x"},
    {"a": "x", 2: "y"},
    {"b": []},
    {"c": {"d": 1}},
    {"c": {"d": "1", "e": 2}},
    {"c": None},
    _Mapping(a="x"),
    [],
    [{"a": "x"}],
    [{"a": 1}, {"a": "x"}],
    _Listed([{"a": "x"}]),
    None,
    "s",
    1,
    2.0,
    True,
]


@pytest.mark.parametrize(
    "schema",
    [
        {
            "type": "object",
            "properties": {
                "a": {"type": "string"},
                "b": {"type": "array", "items": {"type": "integer"}},
                "c": {"type": ["object", "null"], "properties": {"d": {"type": "string"}}},
            },
            "required": ["a"],
        },
        {
            "type": ["object", "null"],
            "properties": {"a": {"type": "string"}},
            "additionalProperties": {"type": ["integer", "string"]},
        },
        {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False},
        {"type": "object", "additionalProperties": {"type": "string"}},
        {"type": "object", "properties": {}, "required": ["a", "b"]},
        {"type": "array", "items": {"type": "object", "properties": {"a": {"type": "string"}}}},
        {"type": ["array", "null"], "items": {"type": ["integer", "null"]}},
        {"type": "array", "items": {"type": "string", "enum": ["x"]}},
        {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}},
    ],
)
def test_a_node_is_checked_alike_in_c_and_in_python(schema: dict[str, Any]) -> None:
    _built()
    in_c, in_python, memo = _both(schema)
    assert in_c is not None and in_python is not None
    for value in VALUES:
        for _ in range(2):  # (the second time, each child reached is installed)
            assert _outcome(in_c, value) == _outcome(in_python, value), value
    assert _functions(memo) & {"fast_object", "fast_array"}


def test_the_children_are_called_alike_and_their_exceptions_come_out() -> None:
    """The children's checks are called in the same order, stop at the same one, and an
    exception of one comes out of the C node as out of the Python one."""
    _built()
    calls: list[Any] = []

    def child(name: str) -> Any:
        def check(value: Any) -> bool:
            calls.append((name, value))
            if value == "boom":
                raise ValueError(f"boom in {name}")
            return bool(value != "no")

        return check

    def made(in_c: bool) -> tuple[Any, Any]:
        if in_c:
            return (
                fast._fast_object(
                    ("r",), {"a": child("a"), "r": child("r")}, [child("x"), None], True
                ),
                fast._fast_array([None, child("i")], False),
            )
        with _python_checks():
            return (
                fast._fast_object(
                    ("r",), {"a": child("a"), "r": child("r")}, [child("x"), None], True
                ),
                fast._fast_array([None, child("i")], False),
            )

    values: list[Any] = [
        {"r": 1, "a": "ok", "q": "ok"},
        {"r": 1, "a": "no", "q": "ok"},
        {"r": 1, "q": "boom", "a": "ok"},
        {"a": "ok"},
        {"r": "ok", "q": 1, 3: "x"},
        ["ok", "no", "ok"],
        ["ok", "boom"],
        [1, 2],
        None,
        "s",
    ]
    seen = []
    for in_c in (True, False):
        node, array = made(in_c)
        calls.clear()
        answers = [(_outcome(node, value), _outcome(array, value)) for value in values]
        seen.append((answers, list(calls)))
    assert seen[0] == seen[1]
    node, _ = made(True)
    assert node.func.__name__ == "fast_object"


def test_documents_checked_alike_with_either_nodes() -> None:
    """The corpus's documents and their mutations: the same answers."""
    _built()
    validator = SchemaValidator.for_version(supported_versions()[-1])
    roots: Any = validator._builtin.roots
    compiled: dict[Any, tuple[Any, Any, dict[int, Any]]] = {}
    answers = set()
    for index, document in list(enumerate(DOCUMENTS))[::3]:
        for variant in [document, *mutations(document, index)]:
            text = yaml.safe_dump(variant, sort_keys=False)
            for obj in load_text(SourceFile("t.yaml", text)).objects:
                key = (obj.data.get("apiVersion"), obj.data.get("kind"))
                if key not in roots:
                    continue
                if key not in compiled:
                    compiled[key] = _both(roots[key])
                in_c, in_python, _ = compiled[key]
                if in_c is None:
                    continue
                expected = _outcome(in_python, obj.data)
                assert _outcome(in_c, obj.data) == expected
                answers.add(expected)
    assert {("answered", True), ("answered", False)} <= answers
    taken = set().union(*(_functions(memo) for _, _, memo in compiled.values()))
    assert {"fast_object", "fast_array"} <= taken


@settings(
    max_examples=examples(full=300, quick=100),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(body=st.dictionaries(st.sampled_from(FIELD_NAMES), trees, max_size=5))
def test_random_documents_checked_alike_with_either_nodes(body: dict[str, Any]) -> None:
    _built()
    validator = SchemaValidator.for_version(supported_versions()[-1])
    roots: Any = validator._builtin.roots
    in_c, in_python, _ = _both(roots["apps/v1", "Deployment"])
    document = {"apiVersion": "apps/v1", "kind": "Deployment", **body}
    assert _outcome(in_c, document) == _outcome(in_python, document)
