"""kpolicy.schema.lite yields the errors jsonschema's Draft 2020-12 validator yields (same
keyword, value, instance and path, in the same order) for every schema it accepts, and the
declarative rules give the same findings through either."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from kpolicy.policy import compiled
from kpolicy.ruledefs import builtin_rules
from kpolicy.schema.lite import LiteValidator, supports
from tests.helpers import examples

# the full count in make test-slow, more with KPOLICY_HYPOTHESIS_EXAMPLES (tests.helpers.examples)
EXAMPLES = examples(full=1000, quick=200)

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 2),
    st.sampled_from([0.0, 1.0, 1.5, -0.5]),
    st.sampled_from(["", "a", "ab", "b", "Always", "latest"]),
)
LEAVES = st.one_of(
    st.builds(
        lambda t: {"type": t},
        st.one_of(
            st.sampled_from(["string", "integer", "number", "boolean", "object", "array", "null"]),
            st.lists(st.sampled_from(["string", "integer", "null"]), max_size=2),
        ),
    ),
    st.builds(lambda v: {"const": v}, SCALARS),
    st.builds(lambda v: {"enum": v}, st.lists(SCALARS, max_size=3)),
    st.builds(lambda p: {"pattern": p}, st.sampled_from(["^a", "b$", "^(?:[^@]*/)?[^/:@]+$", "."])),
    st.builds(
        lambda k, n: {k: n},
        st.sampled_from(["minLength", "maxLength", "minItems", "maxItems"]),
        st.integers(0, 2),
    ),
    st.builds(
        lambda k, n: {k: n},
        st.sampled_from(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]),
        st.sampled_from([-1, 0, 1, 0.5]),
    ),
    st.builds(
        lambda names: {"required": names},
        st.lists(st.sampled_from(["a", "b", "image"]), max_size=2),
    ),
    st.just({}),
    st.just({"description": "annotation", "x-note": 1}),
)


def _merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for part in parts:
        merged.update(part)
    return merged


SCHEMAS = st.recursive(
    st.lists(LEAVES, max_size=3).map(_merge),
    lambda inner: st.builds(
        _merge,
        st.lists(
            st.one_of(
                LEAVES,
                st.builds(
                    lambda p: {"properties": p},
                    st.dictionaries(st.sampled_from(["a", "b", "image"]), inner, max_size=2),
                ),
                st.builds(lambda s: {"items": s}, inner),
                st.builds(lambda s: {"not": s}, inner),
                st.builds(lambda s: {"contains": s}, inner),
                st.builds(lambda i, t: {"if": i, "then": t}, inner, inner),
                st.builds(lambda i, t, e: {"if": i, "then": t, "else": e}, inner, inner, inner),
                st.builds(lambda i, e: {"if": i, "else": e}, inner, inner),
                st.builds(
                    lambda k, subs: {k: subs},
                    st.sampled_from(["allOf", "anyOf", "oneOf"]),
                    st.lists(inner, min_size=1, max_size=3),
                ),
            ),
            min_size=1,
            max_size=3,
        ),
    ),
    max_leaves=8,
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["a", "b", "image", "c"]), inner, max_size=3),
    ),
    max_leaves=8,
)


def _shape(errors: Any) -> list[tuple[Any, ...]]:
    """What kpolicy reads of an error, including the alternatives of anyOf/oneOf errors and
    which alternative each came from."""
    return [
        (
            e.validator,
            repr(e.validator_value),
            list(e.absolute_path),
            repr(e.instance),
            [(c.relative_schema_path[0], *_shape([c])) for c in e.context or ()],
        )
        for e in errors
    ]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema=SCHEMAS, value=VALUES)
def test_same_errors_as_jsonschema(schema: dict[str, Any], value: Any) -> None:
    assert supports(schema), schema
    lite = LiteValidator(schema)
    reference = Draft202012Validator(schema)
    assert _shape(lite.iter_errors(value)) == _shape(reference.iter_errors(value)), schema
    assert lite.is_valid(value) == reference.is_valid(value)


@pytest.mark.parametrize(
    "schema",
    [
        {"format": "ipv4"},
        {"$ref": "#/$defs/x", "$defs": {"x": {}}},
        {"anyOf": []},
        {"oneOf": [{"format": "email"}]},
        {"additionalProperties": {}},
        {"const": [1]},
        {"enum": [{"a": 1}]},
        {"pattern": "("},
        {"type": "decimal"},
        {"minimum": True},
        {"properties": {"a": {"contains": {}, "minContains": 2}}},
        {"$schema": "http://json-schema.org/draft-07/schema#"},
        {"allOf": []},
        "not a schema",
    ],
)
def test_other_schemas_are_left_to_jsonschema(schema: Any) -> None:
    assert not supports(schema)
    with pytest.raises(ValueError):
        LiteValidator(schema)


def test_builtin_declarative_rules_need_no_jsonschema() -> None:
    declarative = [r for r in builtin_rules().values() if r.check is not None]
    assert declarative
    for rule in declarative:
        from kpolicy.policy import _canonical

        assert rule.check is not None
        assert isinstance(compiled(_canonical(rule.check)), LiteValidator), rule.id
