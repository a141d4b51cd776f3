"""kpolicy.policy.passing_check: whether a value passes a rule's schema, told without the
errors, held to the validator that explains them (``not any(iter_errors(value))``) on the
schemas of the bundled rules, the example policies and schemas of our own for every keyword it
compiles, over every mapping in our fixtures and examples and over generated values."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kpolicy.patterns import BUNDLED_LINEAR
from kpolicy.policy import _canonical, compiled, passing_check
from tests.conftest import ROOT
from tests.helpers import examples, fixture_documents

# the bundled linear pattern (kpolicy.patterns.BUNDLED_LINEAR): the only one compiled
(LATEST,) = BUNDLED_LINEAR

# schemas of our own: each keyword passing_check compiles, alone and combined
OWN: list[dict[str, Any]] = [
    {},
    {"not": {}},
    {"required": ["a", "b"]},
    {"properties": {"a": {"const": True}}},
    {"properties": {"a": {"const": False}, "b": {"const": None}}},
    {"properties": {"a": {"enum": ["x", "y"]}, "b": {"enum": [True, None]}}},
    {"properties": {"a": {"not": {"const": "x"}}}},
    {"properties": {"a": {"type": "string"}, "b": {"type": "object"}, "c": {"type": "array"}}},
    {"properties": {"a": {"type": "boolean"}, "b": {"type": "null"}}},
    {"properties": {"a": {"pattern": LATEST}, "b": {"pattern": LATEST}}},
    {"if": {"required": ["a"]}, "then": {"required": ["b"]}},
    {"if": {"properties": {"a": {"const": "x"}}}, "else": {"required": ["c"]}},
    {
        "if": {"required": ["a"], "properties": {"a": {"type": "string", "pattern": LATEST}}},
        "then": {"properties": {"b": {"const": "Always"}}},
        "else": {"not": {"required": ["b"]}},
    },
    {"required": ["a"], "properties": {"a": {"required": ["b"], "properties": {"b": {}}}}},
    {"title": "t", "x-note": 1, "required": ["a"], "properties": {"a": {"default": 1}}},
    {"$schema": "https://json-schema.org/draft/2020-12/schema", "required": ["a"]},
    {"properties": {"a": {"items": {"const": "x"}}, "b": {"contains": {"enum": ["x", "y"]}}}},
    {"anyOf": [{"required": ["a"]}, {"required": ["b"]}]},
    {"oneOf": [{"required": ["a"]}, {"required": ["b"]}]},
    {"allOf": [{"required": ["a"]}, {"properties": {"a": {"type": "string"}}}]},
]

# schemas it leaves to the validator (None): the fast path must not guess
NOT_COMPILED: list[dict[str, Any]] = [
    {"properties": {"a": {"const": 1}}},
    {"properties": {"a": {"enum": ["x", 1]}}},
    {"properties": {"a": {"enum": ["x", None]}}},
    {"properties": {"a": {"type": "integer"}}},
    {"properties": {"a": {"type": ["string", "null"]}}},
    {"properties": {"a": {"minimum": 1}}},
    {"anyOf": []},
    {"properties": {"a": {"const": {"b": 1}}}},
    # a user's pattern: one that timed out in the check would be "timed out earlier" in the
    # validator, and one searched twice would spend the run's budget for patterns twice
    {"properties": {"a": {"pattern": "^x+$"}}},
    {"if": {"properties": {"a": {"pattern": "x$"}}}, "then": {"required": ["b"]}},
]

_VALUES = st.recursive(
    st.sampled_from([None, True, False, 0, 1, 1.0, "", "x", "xx", "y", "Always", "nginx:latest"])
    | st.text(alphabet="xyab:", max_size=4),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), children, max_size=4)
    ),
    max_leaves=12,
)


def _schemas() -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for folder in ("rules", "examples", "examples-v2"):
        for path in sorted((ROOT / folder).rglob("*.yaml")):
            for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
                if isinstance(document, dict) and isinstance(document.get("check"), dict):
                    found.append((str(path.relative_to(ROOT)), document["check"]))
    return found


SCHEMAS = _schemas() + [(f"own[{index}]", schema) for index, schema in enumerate(OWN)]


def _mappings(node: object) -> Iterator[object]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _mappings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _mappings(value)


def _fixture_values() -> list[object]:
    values: list[object] = []
    for document in fixture_documents("tests/rules", "examples"):
        values.extend(_mappings(document))
    return values


# scalars that lite's equality tells apart (1 is not true, 0.0 is not false, "" is not null)
_SCALARS: list[object] = [
    *(None, True, False, 0, 1, 0.0, 1.0, "", "x", "xx", "y", "Always", "1"),
    *("nginx", "nginx:latest", "nginx:1.27", "r.example.com:5000/web", "web@sha256:0"),
]
TRICKY: list[object] = [
    shape
    for scalar in _SCALARS
    for shape in (
        scalar,
        [scalar],
        {"a": scalar},
        {"a": scalar, "b": scalar},
        {"a": scalar, "c": scalar},
        {"a": {"b": scalar}},
        {"a": [scalar]},
        {"b": [scalar, "x"]},
    )
]
FIXTURE_VALUES = _fixture_values() + TRICKY


def _agree(schema: dict[str, Any], value: object) -> None:
    validator = compiled(_canonical(schema))
    passes = passing_check(validator)
    assert passes is not None
    assert passes(value) is (next(iter(validator.iter_errors(value)), None) is None), value


def test_every_bundled_rule_schema_is_compiled() -> None:
    missing = [
        name
        for name, schema in SCHEMAS
        if name.startswith("rules/") and passing_check(compiled(_canonical(schema))) is None
    ]
    assert len([name for name, _ in SCHEMAS if name.startswith("rules/")]) >= 10
    assert missing == []


@pytest.mark.parametrize("schema", NOT_COMPILED, ids=str)
def test_other_keywords_are_left_to_the_validator(schema: dict[str, Any]) -> None:
    assert passing_check(compiled(_canonical(schema))) is None


@pytest.mark.parametrize(("name", "schema"), SCHEMAS, ids=[name for name, _ in SCHEMAS])
def test_agrees_on_the_fixtures(name: str, schema: dict[str, Any]) -> None:
    assert len(FIXTURE_VALUES) > 500
    validator = compiled(_canonical(schema))
    passes = passing_check(validator)
    if passes is None:
        pytest.skip(f"{name}: not compiled (left to the validator)")
    outcomes = set()
    for value in FIXTURE_VALUES:
        expected = next(iter(validator.iter_errors(value)), None) is None
        assert passes(value) is expected, (name, value)
        outcomes.add(expected)


@pytest.mark.parametrize(("name", "schema"), SCHEMAS, ids=[name for name, _ in SCHEMAS])
@settings(max_examples=examples(full=1500, quick=150), deadline=None)
@given(value=_VALUES)
def test_agrees_on_generated_values(name: str, schema: dict[str, Any], value: object) -> None:
    if passing_check(compiled(_canonical(schema))) is None:
        return
    _agree(schema, value)


def test_own_schemas_see_both_outcomes() -> None:
    """The generated values are no use if every one passes (or fails) a schema."""
    import random

    generator = random.Random(5)
    pool: list[object] = [None, True, False, 1, "x", "xx", "y", "Always", "web:1.27", [], {}]
    for _ in range(400):
        pool.append({key: generator.choice(pool) for key in generator.sample("abcd", 2)})
    for index, schema in enumerate(OWN[2:], start=2):
        passes = passing_check(compiled(_canonical(schema)))
        assert passes is not None
        outcomes = {passes(value) for value in pool}
        assert outcomes == {True, False}, (index, schema)
