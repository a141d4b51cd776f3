"""The fast check's string, list and number keywords (pattern, min/maxLength, min/maxItems,
minimum/maximum and their exclusive forms) decide exactly as jsonschema does, and custom
resources are decided by the fast check when their CRD's schema allows it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from kpolicy.schema import SchemaValidator
from kpolicy.schema.explain import to_problems
from kpolicy.schema.fast import Unsupported, compile_fast
from kpolicy.schema.formats import builtin_format_checker
from tests.helpers import examples

# the full count in make test-slow, more with KPOLICY_HYPOTHESIS_EXAMPLES (tests.helpers.examples)
EXAMPLES = examples(full=600, quick=150)

LEAF_KEYWORDS = st.one_of(
    st.builds(
        lambda t: {"type": t},
        st.sampled_from(["string", "integer", "number", "boolean", "object", "array", "null"]),
    ),
    st.builds(
        lambda t: {"type": t},
        st.lists(
            st.sampled_from(["string", "integer", "number", "boolean", "object", "array", "null"]),
            min_size=2,
            max_size=3,
        ),
    ),
    st.builds(lambda p: {"pattern": p}, st.sampled_from(["^a", "b$", "[0-9]+", "^$", "a|b"])),
    st.builds(
        lambda k, n: {k: n},
        st.sampled_from(["minLength", "maxLength", "minItems", "maxItems"]),
        st.integers(0, 3),
    ),
    st.builds(
        lambda k, n: {k: n},
        st.sampled_from(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]),
        st.one_of(st.integers(-2, 2), st.sampled_from([-1.5, 0.0, 0.5, 2.0])),
    ),
    st.builds(lambda e: {"enum": e}, st.lists(st.sampled_from(["a", "b", "ab", ""]), max_size=3)),
    st.just({"format": "int32"}),
)


def _merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for part in parts:
        merged.update(part)
    return merged


NODES = st.lists(LEAF_KEYWORDS, min_size=0, max_size=3).map(_merge)
SCHEMAS = st.recursive(
    NODES,
    lambda inner: st.one_of(
        st.builds(
            lambda base, props: {**base, "properties": props},
            NODES,
            st.dictionaries(st.sampled_from(["a", "b"]), inner, max_size=2),
        ),
        st.builds(lambda base, sub: {**base, "items": sub}, NODES, inner),
        st.builds(lambda base, sub: {**base, "additionalProperties": sub}, NODES, inner),
        st.builds(
            lambda base, names: {**base, "required": names},
            NODES,
            st.lists(st.sampled_from(["a", "b"]), max_size=2, unique=True),
        ),
    ),
    max_leaves=6,
)
VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-3, 3),
        st.sampled_from([-1.5, 0.0, 0.5, 2.0, 2.5, 3e9]),
        st.text(alphabet="ab0 ", max_size=3),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3),
    ),
    max_leaves=8,
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema=SCHEMAS, value=VALUES)
def test_fast_check_decides_as_jsonschema(schema: dict[str, Any], value: Any) -> None:
    fast = compile_fast(schema)
    assert fast is not None, schema
    expected = Draft202012Validator(schema, format_checker=builtin_format_checker()).is_valid(value)
    assert fast(value) == expected, (schema, value)


def test_an_unusable_bound_makes_no_fast_check() -> None:
    assert compile_fast({"pattern": "("}) is None
    assert compile_fast({"minimum": True}) is None
    assert compile_fast({"minLength": 1.5}) is None


def test_an_unknown_keyword_below_the_root_raises_where_a_value_reaches_it() -> None:
    """Nodes below the root are compiled when a value first reaches them: one the check does
    not support raises there (the validator then lets jsonschema decide), every time."""
    fast = compile_fast({"properties": {"a": {"oneOf": [{}]}, "b": {"type": "string"}}})
    assert fast is not None
    assert fast({"b": "x"}) is True
    assert fast({"b": 1}) is False
    for _ in range(2):
        with pytest.raises(Unsupported):
            fast({"a": 1})


def _crd(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": "Widget", "plural": "widgets"},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": schema},
                }
            ],
        },
    }


WIDGET_SCHEMA = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "required": ["size"],
            "properties": {
                "size": {"type": "integer", "minimum": 1, "maximum": 10},
                "colour": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 8},
                "tags": {"type": "array", "maxItems": 2, "items": {"type": "string"}},
            },
        }
    },
}


def test_custom_resources_are_decided_by_the_fast_check() -> None:
    validator = SchemaValidator.for_version("1.37").with_crds([_crd(WIDGET_SCHEMA)])
    key = ("example.com/v1", "Widget")
    assert validator._custom_fast_for(key) is not None
    good = {
        "apiVersion": key[0],
        "kind": key[1],
        "metadata": {"name": "w"},
        "spec": {"size": 3, "colour": "red", "tags": ["a"]},
    }
    assert validator.validate(good) == []
    assert key not in validator._custom_compiled  # jsonschema was never needed
    bad = {
        "apiVersion": key[0],
        "kind": key[1],
        "metadata": {"name": "w"},
        "spec": {"size": 11, "colour": "Red-and-much-too-long", "tags": ["a", "b", "c"]},
    }
    found = validator.validate(bad)
    compiled = validator._validator_for(*key)
    assert compiled is not None
    assert found == to_problems(compiled.iter_errors(bad))
    assert {p.path for p in found} >= {("spec", "size"), ("spec", "colour"), ("spec", "tags")}


class _Mapping(dict[str, Any]):
    pass


class _List(list[Any]):
    pass


class _Text(str):
    __slots__ = ()


NULLABLE_OBJECT = {
    "type": ["object", "null"],
    "required": ["a"],
    "properties": {
        "a": {"type": ["string", "null"]},
        "b": {"type": "string"},
        "c": {"type": ["array", "null"], "items": {"type": ["string", "null"]}},
    },
    "additionalProperties": {"type": "integer"},
}


@pytest.mark.parametrize(
    ("value", "passes"),
    [
        (None, True),
        ({"a": "x"}, True),
        ({"a": None, "b": "y", "c": ["z", None], "d": 3}, True),
        ({"a": _Text("x"), "b": _Text("y"), "c": [_Text("z")]}, True),  # tested, not skipped
        ({"a": 1}, False),
        ({"a": "x", "b": None}, False),
        ({"a": "x", "c": None}, True),
        ({"a": "x", "c": [1]}, False),
        ({"a": "x", "d": "3"}, False),
        ({"a": "x", "d": True}, False),  # a boolean is no integer
        ({"a": "x", "d": 3.0}, True),  # an integral float is one
        ({"b": "y"}, False),
        ({"a": "x", 1: 2}, False),  # not plain JSON: jsonschema decides
        (_Mapping(a="x"), False),  # a subclass: jsonschema decides
        ({"a": "x", "c": _List(["z"])}, False),
        (["a"], False),
        ("a", False),
    ],
)
def test_the_common_shapes_decide_as_before(value: Any, passes: bool) -> None:
    """The nodes most built-in schemas are made of (an object or an array, nullable or not,
    with properties or items; a scalar type alone) have checks of their own: they pass what
    the general check passes and leave the rest (a subclass, a key that is not a string) to
    jsonschema."""
    fast = compile_fast(NULLABLE_OBJECT)
    assert fast is not None
    for _ in range(2):  # compiled on the first pass, compiled checks on the second
        assert fast(value) is passes, value
    strict = compile_fast({**NULLABLE_OBJECT, "type": "object"})
    assert strict is not None
    assert strict(value) is (passes and value is not None)
