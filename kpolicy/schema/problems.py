"""What a schema check reports: the rule ids, :class:`SchemaProblem`, and how a value is shown
in a message."""

from __future__ import annotations

import math
from collections.abc import Mapping
from json.encoder import encode_basestring

from kpolicy.records import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final, Literal

RULE_UNKNOWN_FIELD: Final = "schema-unknown-field"
RULE_TYPE_MISMATCH: Final = "schema-type-mismatch"
RULE_REQUIRED_MISSING: Final = "schema-required-missing"
RULE_ENUM_INVALID: Final = "schema-enum-invalid"
RULE_FORMAT_INVALID: Final = "schema-format-invalid"
# constraints that only custom schemas (CRDs, --schema-dir) carry: pattern, minimum,
# maxLength, minItems, ... and the value of a port number
RULE_VALUE_INVALID: Final = "schema-value-invalid"
SCHEMA_RULES: Final = (
    RULE_UNKNOWN_FIELD,
    RULE_TYPE_MISMATCH,
    RULE_REQUIRED_MISSING,
    RULE_ENUM_INVALID,
    RULE_FORMAT_INVALID,
    RULE_VALUE_INVALID,
)

PathElement = str | int
if TYPE_CHECKING:
    At = Literal["value", "key"]
else:
    At = str  # typing is not imported at run time (kpolicy.hints)


@record(frozen=True, slots=True)
class SchemaProblem:
    """One schema error: ``path`` names the wrong value, the unknown key, or (for a missing
    field) the mapping that should hold it; ``at`` says whether the value or the key is wrong."""

    rule: str
    path: tuple[PathElement, ...]
    at: At
    message: str
    # a fix, when one is clear: the one known field an unknown key is a typo of, or (a YAML
    # 1.1 boolean or number where a string belongs) that the value's own text be quoted
    rename: str | None = None
    quote: bool = False
    # the record of the node ``path`` names in its document's compact position table (see
    # kpolicy.positions.PositionTable.span_of), -1 when not known: found by its path then
    record: int = -1


# a SchemaProblem's fields, in its order (rule, path, at, message, rename, quote, record): what
# the schema check reads, without making the record (SchemaValidator.problem_fields)
if TYPE_CHECKING:
    ProblemFields = tuple[str, tuple[PathElement, ...], At, str, str | None, bool, int]
else:
    ProblemFields = tuple


# (a tuple: ``int | float`` would make a union each time it is tested)
NUMBER_CLASSES: Final = (int, float)


def clip(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[: limit - 3] + "..."


def show(value: object) -> str:
    if isinstance(value, str):
        # json.dumps(..., ensure_ascii=False) without making an encoder each time
        return encode_basestring(clip(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, NUMBER_CLASSES):
        return repr(value)
    return describe(value)


def describe(value: object) -> str:
    # a mapping or a list as the loader makes them, told without an ABC's isinstance (whose
    # test of a list against Mapping costs as much as the rest of a type error's message)
    cls = value.__class__
    if cls is dict:
        return "a mapping"
    if cls is list:
        return "a list"
    if isinstance(value, bool):
        return f"boolean {show(value)}"
    if isinstance(value, NUMBER_CLASSES):
        return f"number {show(value)}"
    if isinstance(value, str):
        return f"string {show(value)}"
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__
