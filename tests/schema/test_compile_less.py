"""What compiling a schema node makes when a value first meets it: a node explained in one step
(an object node, a typed leaf) makes none of its keywords' steps (they are made when a value of
a class its one step does not take first comes), and a type's step takes its classes from the
kept ones; the errors are the walk's all the same (``kpolicy.schema.lite``); and the fast
check's stand-ins and bounds, and str methods in place of patterns."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpolicy.schema import lite
from kpolicy.schema.explain import compile_explain, explain
from kpolicy.schema.formats import FORMATS
from tests.helpers import examples

from .test_fast_check import _errors_or_raised, _step_name


class _Mapping(dict[str, Any]):
    """A mapping of another class than dict: an object node runs its keywords' steps on it."""


@contextmanager
def _made_steps() -> Iterator[list[str]]:
    """The keywords whose steps lite._step makes meanwhile, in order."""
    made: list[str] = []
    step = lite._step

    def counted(schema: Any, keyword: str, *args: Any) -> Any:
        made.append(keyword)
        return step(schema, keyword, *args)

    lite._step = counted  # type: ignore[assignment]
    try:
        yield made
    finally:
        lite._step = step


_PARTS: dict[str, Any] = {
    "type": ["object", "null"],
    "properties": {
        "a": {"type": "string"},
        "b": {"type": "object", "properties": {"c": {"type": "string"}}, "required": ["c"]},
    },
    "required": ["z", "a"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    "order",
    [
        ("type", "properties", "required", "additionalProperties"),
        ("properties", "additionalProperties", "type", "required"),
        ("required", "properties", "type"),
        ("properties",),
        ("properties", "additionalProperties"),
    ],
)
@pytest.mark.parametrize("additional", [False, {"type": "integer"}, True])
def test_an_object_node_makes_its_steps_when_a_value_of_another_class_comes(
    order: tuple[str, ...], additional: Any
) -> None:
    """An object node of one step makes none of its keywords' steps; a value of another class
    than dict (a subclass of dict too) is explained by them, made when the first comes: the
    walk's errors in the walk's order, every time."""
    schema = {keyword: _PARTS[keyword] for keyword in order}
    if "additionalProperties" in schema:
        schema["additionalProperties"] = additional
    with _made_steps() as made:
        steps = lite._steps(schema, FORMATS, 100, {})
    assert len(steps) == 1 and _step_name(steps[0]) in ("closed_node", "object_node")
    assert made == []
    compiled = compile_explain(schema, {})
    with _made_steps() as made:
        for value in ({"a": 1, "x": 2, "b": {}}, {"a": "s"}, {}):
            assert _errors_or_raised(compiled, value) == _errors_or_raised(explain, schema, value)
        assert "properties" not in made and "required" not in made
        others: list[Any] = ["s", 1, None, [1], True, 2.5]
        others += [_Mapping({"a": 1, "x": 2, "b": {}}), _Mapping(), _Mapping({"a": "s"})]
        for value in others * 2:  # (the steps made, then again)
            assert _errors_or_raised(compiled, value) == _errors_or_raised(explain, schema, value)
        assert made.count("properties") == 1  # (the node's: its b is met by mappings only)
    if "type" in schema:
        assert _errors_or_raised(compiled, "s") == [("type", schema["type"], "s", id(schema), ())]


def test_an_object_node_of_a_type_that_fails_mappings_keeps_its_steps() -> None:
    """A node whose type fails a mapping is not one step: each keyword's step is made."""
    schema = {"type": "string", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    with _made_steps() as made:
        lite._steps(schema, FORMATS, 100, {})
    assert made == ["type", "properties", "required"]
    compiled = compile_explain(schema, {})
    for value in ("s", {"a": 1}, {}, 1):
        assert _errors_or_raised(compiled, value) == _errors_or_raised(explain, schema, value)


@pytest.mark.parametrize(
    "declared",
    ["string", ["string", "null"], ["integer", "string"], [], ["bogus"], [1], {"a": 1}, "x"],
)
def test_a_type_step_passes_and_fails_as_the_walk(declared: Any) -> None:
    """The type's step takes its exact classes from those kept by type (a type of names that
    are not all known raises when it is met, as the walk does)."""
    schema = {"type": declared}
    compiled = compile_explain(schema, {})
    for value in ("s", 1, 1.0, 1.5, True, None, [1], {"a": 1}, _Mapping()):
        assert _errors_or_raised(compiled, value) == _errors_or_raised(explain, schema, value)


def test_a_fast_nodes_children_stand_in_as_one_partial_each_until_met() -> None:
    """A fast node's properties, additionalProperties and items below it stand in as one
    partial each (of fast._first), replaced in their parent by their check when a value first
    reaches them: the answers are those of the nodes compiled at once."""
    from kpolicy.schema import fast

    met = {"type": "integer"}
    unmet = {"type": "object", "properties": {"c": {"type": "string"}}}
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {"a": met, "b": unmet, "l": {"type": "array", "items": {"type": "object"}}},
        "additionalProperties": {"type": "object", "properties": {"d": {"type": "string"}}},
    }
    memo: dict[int, Any] = {}
    check = fast.compile_fast(schema, memo)
    assert check is not None
    assert set(memo) == {id(schema)}
    values: list[Any] = [{"a": 1}, {"a": "x"}, {"z": {"d": 1}}, {"z": {"d": "s"}}, {"l": [{}]}]
    values += [{"l": [1]}, {"b": {"c": 1}}, "s"]
    eager: dict[int, Any] = {}
    for node in (met, unmet, schema["additionalProperties"], schema["properties"]["l"]):
        fast.compile_fast(node, eager)
    reference = fast.compile_fast(schema, eager)
    assert reference is not None
    answers = []
    for value in values:
        answers.append(check(value))
        if value == {"a": 1}:
            assert id(met) in memo and id(unmet) not in memo
    assert answers == [reference(value) for value in values] == [
        True, False, False, True, True, False, False, False,
    ]  # fmt: skip
    assert id(unmet) in memo


def test_a_stand_in_is_replaced_by_its_check() -> None:
    from functools import partial

    from kpolicy.schema import fast

    sub = {"type": "string", "enum": ["a"]}
    owner: dict[str, Any] = {}
    memo: dict[int, Any] = {}
    stand_in = owner["p"] = fast._fast_child(sub, memo, owner, "p")
    assert isinstance(stand_in, partial) and stand_in.func is fast._first
    assert stand_in("a") is True
    assert owner["p"] is memo[id(sub)] is not stand_in
    assert owner["p"]("b") is False
    # a node met already is its check, without a stand-in
    assert fast._fast_child(sub, memo, owner, "q") is memo[id(sub)]


_TEXT = st.text(alphabet="0123456789.+-_eE aZ\t\n\x1c\xa0\u2003\u0663\u00b2", max_size=8)


@settings(max_examples=examples(full=20_000, quick=2_000), deadline=None)
@given(_TEXT)
def test_texts_are_told_as_the_patterns_they_replace_tell_them(text: str) -> None:
    """The str methods that replace three patterns (a quoted number's text, a port's digits,
    a name squashed for a suggestion) answer as the patterns: white space of every kind,
    digits of other scripts and superscripts included."""
    from kpolicy.schema import explain, formats

    assert explain._number_text(text) == bool(re.fullmatch(r"\s*[+-]?[0-9]+(\.[0-9]*)?\s*", text))
    assert formats._digits_text(text) == bool(re.fullmatch(r"\s*[0-9]+\s*", text))
    assert explain._squashed(text) == re.sub(r"[-_]", "", text.lower())


def test_the_messages_that_tested_patterns_compile_none(monkeypatch: pytest.MonkeyPatch) -> None:
    from kpolicy.schema import explain, formats

    compiled: list[object] = []
    compile_ = re._compile  # type: ignore[attr-defined]

    def counted(*args: Any) -> Any:
        compiled.append(args)
        return compile_(*args)

    monkeypatch.setattr(re, "_compile", counted)
    assert explain._number_text(" +12.5 ") and not explain._number_text("1e3")
    assert formats._digits_text(" 80 ") and not formats._digits_text("80a")
    assert formats._port_text_problem(" 80 ") is not None
    assert formats._int_or_percent_problem("12") is not None
    assert explain._did_you_mean("container_port", ["containerPort", "hostPort"]) == (
        "containerPort"
    )
    assert compiled == []


def test_a_nodes_bounds_are_looked_for_only_where_it_has_one() -> None:
    """_fast_bounds answers None at once for a node of none of its keywords, which are all it
    makes checks of (each keyword's own check where the node has it)."""
    from kpolicy.schema import fast
    from kpolicy.schema.lite import COMPILED_KEYWORDS

    values = {"pattern": "^a", "minimum": 1, "maximum": 1, "exclusiveMinimum": 1}
    values |= {"exclusiveMaximum": 1, "minLength": 1, "maxLength": 1, "minItems": 1}
    values["maxItems"] = 1
    assert set(values) == fast._BOUND_KEYWORDS <= COMPILED_KEYWORDS
    for keyword, value in values.items():
        assert fast._fast_bounds({keyword: value, "type": "string"}) is not None, keyword
    others: dict[str, Any] = {
        "type": "string",
        "enum": ["a"],
        "format": "int-or-string",
        "required": ["a"],
    }
    others |= {"properties": {}, "additionalProperties": False, "items": {}}
    assert set(others) == COMPILED_KEYWORDS - fast._BOUND_KEYWORDS
    assert fast._fast_bounds(others) is None


def test_a_bad_bound_is_unsupported_as_before() -> None:
    from kpolicy.schema import fast

    for schema in ({"minLength": True}, {"maximum": "1"}, {"pattern": "("}):
        with pytest.raises(fast._Unsupported):
            fast._fast_bounds(schema)


@pytest.mark.parametrize(
    ("schema", "other", "taken"),
    [
        ({"type": "string", "enum": ["a", "b"]}, "enum", ["a", "c"]),
        ({"enum": ["a", None], "type": ["string", "null"]}, "enum", ["a", "c"]),
        ({"type": "array", "items": {"type": "string"}}, "items", [["x", 1], []]),
        ({"items": {"type": "string"}, "type": ["array", "null"]}, "items", [["x", 1], None]),
        (
            {"type": "object", "additionalProperties": {"type": "string"}},
            "additionalProperties",
            [{"k": "v", "n": 1}, {}],
        ),
    ],
)
def test_a_typed_leaf_makes_its_steps_when_a_value_of_another_class_comes(
    schema: dict[str, Any], other: str, taken: list[Any]
) -> None:
    """A typed leaf (one step of a type and an enum, items or additionalProperties) makes
    neither keyword's step; both are made when a value its one step does not take itself first
    comes (once): the walk's errors in the walk's order, every time."""
    with _made_steps() as made:
        steps = lite._steps(schema, FORMATS, 100, {})
        assert len(steps) == 1
        assert made == []
        compiled = compile_explain(schema, {})
        made.clear()
        for value in taken:
            assert _errors_or_raised(compiled, value) == _errors_or_raised(explain, schema, value)
        assert other not in made
        for value in (1, 2.5, True, _Mapping({"k": 1}), "s", [1], {"a": 1}, 1, True):
            assert _errors_or_raised(compiled, value) == _errors_or_raised(explain, schema, value)
        assert made.count(other) == 1 and "type" in made


def test_a_node_of_a_type_and_another_keyword_that_is_no_typed_leaf_keeps_its_steps() -> None:
    for schema in (
        {"type": "integer", "enum": [1, 2]},
        {"type": "object", "additionalProperties": True},
        {"type": "string", "items": {"type": "string"}},
        {"type": "bogus", "enum": ["a"]},
    ):
        compiled = compile_explain(schema, {})
        for value in ("a", 1, 2, 1.0, None, [1], {"a": 1}, True):
            assert _errors_or_raised(compiled, value) == _errors_or_raised(explain, schema, value)
