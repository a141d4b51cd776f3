"""A JSON Schema evaluator for the small schemas of declarative rules and policies.

Most rule and policy checks use a handful of Draft 2020-12 keywords (``properties``,
``required``, ``const``, ``not``, ``pattern``, ``if``/``then``). For a schema that uses only
the keywords of :data:`KEYWORDS`, :class:`LiteValidator` yields the same errors as
jsonschema's ``Draft202012Validator`` (same keywords, values, instances and paths, in the same
order), without importing jsonschema, whose import alone costs ~30 ms of every run. Any other
schema is left to jsonschema (:func:`supports` says which).

The semantics follow jsonschema's own keyword functions (``jsonschema/_keywords.py``) and its
type checker and equality (``_types.py``, ``_utils.equal``); tests/test_schemalite.py compares
the two on generated schemas and instances.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Iterator, Mapping
from typing import Any

# keywords evaluated here; jsonschema ignores annotations and unknown keywords, and so does
# this module for annotations (an unknown keyword makes a schema unsupported, in case it is a
# keyword of another draft)
KEYWORDS = frozenset(
    {
        "type", "properties", "required", "const", "enum", "not", "pattern", "if", "then",
        "else", "items", "allOf", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "minLength", "maxLength", "minItems", "maxItems", "contains", "anyOf", "oneOf",
    }
)
_ANNOTATIONS = frozenset(
    {"title", "description", "default", "examples", "$comment", "deprecated", "readOnly",
     "writeOnly"}
)
_DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
_TYPES = frozenset({"string", "integer", "number", "boolean", "object", "array", "null"})
_NUMERIC = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})
_COUNTS = frozenset({"minLength", "maxLength", "minItems", "maxItems"})
Path = tuple[str | int, ...]


class LiteError:
    """One failure, with the attributes of jsonschema's ``ValidationError`` that kpolicy reads."""

    __slots__ = ("absolute_path", "context", "instance", "relative_schema_path", "schema",
                 "validator", "validator_value")

    def __init__(self, validator: str, value: Any, instance: Any, schema: Mapping[str, Any],
                 path: Path, context: list[LiteError] | None = None) -> None:
        self.validator = validator
        self.validator_value = value
        self.instance = instance
        self.schema = schema
        self.absolute_path = path
        # anyOf/oneOf: the errors of each alternative; in those, the alternative's index first
        self.context = context
        self.relative_schema_path: tuple[str | int, ...] = (validator,)

    @property
    def message(self) -> str:
        return f"{self.instance!r} failed {self.validator} {self.validator_value!r}"

    def __repr__(self) -> str:
        return f"<LiteError {self.validator} at {list(self.absolute_path)}>"


def supports(schema: object) -> bool:
    """Whether :class:`LiteValidator` evaluates ``schema`` exactly as jsonschema would."""
    if not isinstance(schema, dict):
        return False
    for keyword, value in schema.items():
        if keyword in _ANNOTATIONS or (isinstance(keyword, str) and keyword.startswith("x-")):
            continue
        if keyword == "$schema":
            if value != _DRAFT_2020_12:
                return False
            continue
        if keyword not in KEYWORDS or not _value_supported(keyword, value):
            return False
    return True


def _is_scalar(value: object) -> bool:
    return value is None or isinstance(value, str | bool | int | float)


def _value_supported(keyword: str, value: Any) -> bool:
    if keyword == "type":
        names = [value] if isinstance(value, str) else value
        return isinstance(names, list) and all(name in _TYPES for name in names)
    if keyword == "properties":
        return isinstance(value, dict) and all(supports(sub) for sub in value.values())
    if keyword == "required":
        return isinstance(value, list) and all(isinstance(name, str) for name in value)
    if keyword == "const":
        return _is_scalar(value)
    if keyword == "enum":
        return isinstance(value, list) and all(_is_scalar(each) for each in value)
    if keyword == "pattern":
        if not isinstance(value, str):
            return False
        try:
            re.compile(value)
        except re.error:
            return False
        return True
    if keyword in ("not", "if", "then", "else", "items", "contains"):
        return supports(value)
    if keyword in ("allOf", "anyOf", "oneOf"):
        return isinstance(value, list) and bool(value) and all(supports(sub) for sub in value)
    if keyword in _NUMERIC:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if keyword in _COUNTS:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return False


def _is_type(instance: object, name: str) -> bool:
    # jsonschema's Draft 2020-12 type checker
    if name == "string":
        return isinstance(instance, str)
    if name == "object":
        return isinstance(instance, dict)
    if name == "array":
        return isinstance(instance, list)
    if name == "boolean":
        return isinstance(instance, bool)
    if name == "null":
        return instance is None
    if isinstance(instance, bool):
        return False
    if name == "integer":
        return isinstance(instance, int) or (isinstance(instance, float) and instance.is_integer())
    return isinstance(instance, numbers.Number)  # "number"


_TRUE = object()
_FALSE = object()


def _unbool(value: object) -> object:
    if value is True:
        return _TRUE
    if value is False:
        return _FALSE
    return value


def _equal(instance: object, scalar: object) -> bool:
    """jsonschema's ``equal`` where one side is a JSON scalar (``const`` and ``enum`` values)."""
    if instance is scalar:
        return True
    if isinstance(instance, str) or isinstance(scalar, str):
        return instance == scalar
    return bool(_unbool(instance) == _unbool(scalar))


class LiteValidator:
    """``iter_errors`` and ``is_valid`` of a schema that :func:`supports` accepts."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        if not supports(schema):
            raise ValueError("schema uses keywords this evaluator does not support")
        self.schema = schema

    def iter_errors(self, instance: Any) -> Iterator[LiteError]:
        return _errors(self.schema, instance, ())

    def is_valid(self, instance: Any) -> bool:
        return next(_errors(self.schema, instance, ()), None) is None


def _valid(schema: Mapping[str, Any], instance: Any) -> bool:
    return next(_errors(schema, instance, ()), None) is None


def _errors(schema: Mapping[str, Any], instance: Any, path: Path) -> Iterator[LiteError]:
    # keywords in the schema's own order, as jsonschema applies them
    for keyword, value in schema.items():
        if keyword == "type":
            names = [value] if isinstance(value, str) else value
            if not any(_is_type(instance, name) for name in names):
                yield LiteError(keyword, value, instance, schema, path)
        elif keyword == "properties":
            if isinstance(instance, dict):
                for name, sub in value.items():
                    if name in instance:
                        yield from _errors(sub, instance[name], (*path, name))
        elif keyword == "required":
            if isinstance(instance, dict):
                for name in value:
                    if name not in instance:
                        yield LiteError(keyword, value, instance, schema, path)
        elif keyword == "const":
            if not _equal(instance, value):
                yield LiteError(keyword, value, instance, schema, path)
        elif keyword == "enum":
            if all(not _equal(instance, each) for each in value):
                yield LiteError(keyword, value, instance, schema, path)
        elif keyword == "not":
            if _valid(value, instance):
                yield LiteError(keyword, value, instance, schema, path)
        elif keyword == "pattern":
            if isinstance(instance, str) and not re.search(value, instance):
                yield LiteError(keyword, value, instance, schema, path)
        elif keyword == "if":
            if _valid(value, instance):
                if "then" in schema:
                    yield from _errors(schema["then"], instance, path)
            elif "else" in schema:
                yield from _errors(schema["else"], instance, path)
        elif keyword == "items":
            if isinstance(instance, list):
                for index, item in enumerate(instance):
                    yield from _errors(value, item, (*path, index))
        elif keyword == "contains":
            # without minContains/maxContains (not supported): at least one item must match
            if isinstance(instance, list) and not any(_valid(value, item) for item in instance):
                yield LiteError(keyword, value, instance, schema, path)
        elif keyword == "allOf":
            for sub in value:
                yield from _errors(sub, instance, path)
        elif keyword in ("anyOf", "oneOf"):
            yield from _alternatives(keyword, value, instance, schema, path)
        elif keyword in _NUMERIC:
            if _is_type(instance, "number") and _beyond(keyword, instance, value):
                yield LiteError(keyword, value, instance, schema, path)
        elif (
            keyword in _COUNTS
            and _counted(keyword, instance)
            and _out_of_count(keyword, len(instance), value)
        ):
            yield LiteError(keyword, value, instance, schema, path)


def _alternatives(keyword: str, branches: list[Mapping[str, Any]], instance: Any,
                  schema: Mapping[str, Any], path: Path) -> Iterator[LiteError]:
    """anyOf and oneOf: the errors of every alternative when none holds (as the context of one
    error); for oneOf, one more error when a later alternative also holds."""
    failures: list[LiteError] = []
    valid_at = -1
    for index, branch in enumerate(branches):
        errors = list(_errors(branch, instance, path))
        if not errors:
            valid_at = index
            break
        for error in errors:
            error.relative_schema_path = (index, *error.relative_schema_path)
        failures.extend(errors)
    if valid_at < 0:
        yield LiteError(keyword, branches, instance, schema, path, context=failures)
        return
    if keyword == "oneOf" and any(_valid(b, instance) for b in branches[valid_at + 1:]):
        yield LiteError(keyword, branches, instance, schema, path)


def _beyond(keyword: str, instance: Any, bound: Any) -> bool:
    if keyword == "minimum":
        return bool(instance < bound)
    if keyword == "maximum":
        return bool(instance > bound)
    if keyword == "exclusiveMinimum":
        return bool(instance <= bound)
    return bool(instance >= bound)  # exclusiveMaximum


def _counted(keyword: str, instance: Any) -> bool:
    return isinstance(instance, str) if keyword.endswith("Length") else isinstance(instance, list)


def _out_of_count(keyword: str, size: int, bound: int) -> bool:
    return size < bound if keyword.startswith("min") else size > bound
