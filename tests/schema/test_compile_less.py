"""What compiling a schema node makes when a value first meets it: an object node explained in
one step makes its type's step alone (its other keywords' steps are made when a mapping of a
subclass of dict first meets it), and a type's step takes its classes from the kept ones; the
errors are the walk's all the same (``kpolicy.schema.lite``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from kpolicy.schema import lite
from kpolicy.schema.explain import compile_explain, explain
from kpolicy.schema.formats import FORMATS

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
        lite._step = step  # type: ignore[assignment]


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
def test_an_object_node_makes_its_other_steps_when_a_mapping_of_another_class_comes(
    order: tuple[str, ...], additional: Any
) -> None:
    """An object node of one step makes its type's step alone; a value of another class than
    a mapping is explained by it, a mapping of a subclass of dict by the other steps, made
    then (in the schema's order): the walk's errors in the walk's order, every time."""
    schema = {keyword: _PARTS[keyword] for keyword in order}
    if "additionalProperties" in schema:
        schema["additionalProperties"] = additional
    with _made_steps() as made:
        steps = lite._steps(schema, FORMATS, 100, {})
    assert len(steps) == 1 and _step_name(steps[0]) in ("closed_node", "object_node")
    assert made == (["type"] if "type" in schema else [])
    compiled = compile_explain(schema, {})
    values: list[Any] = ["s", 1, None, [1], True, 2.5, {"a": 1, "x": 2, "b": {}}, {"a": "s"}]
    with _made_steps() as made:
        for value in values:
            assert _errors_or_raised(compiled, value) == _errors_or_raised(explain, schema, value)
    assert "properties" not in made and "required" not in made
    for value in (_Mapping({"a": 1, "x": 2, "b": {}}), _Mapping(), _Mapping({"a": "s"})):
        for _ in range(2):  # (the steps made, then again)
            assert _errors_or_raised(compiled, value) == _errors_or_raised(explain, schema, value)
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
