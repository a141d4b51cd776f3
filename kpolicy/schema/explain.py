"""The explanation of a failure: the errors of the explaining evaluator (:mod:`.lite`, with the
built-in format checks) or of jsonschema, turned into :class:`SchemaProblem` messages."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

from kpolicy.schema.formats import FORMATS
from kpolicy.schema.lite import (
    _KEPT_BY_CLASS,
    _KEPT_BY_VALUE,
    LiteError,
    compile_explainer,
    iter_errors,
)
from kpolicy.schema.problems import (
    NUMBER_CLASSES,
    RULE_ENUM_INVALID,
    RULE_FORMAT_INVALID,
    RULE_REQUIRED_MISSING,
    RULE_TYPE_MISMATCH,
    RULE_UNKNOWN_FIELD,
    RULE_VALUE_INVALID,
    PathElement,
    ProblemFields,
    SchemaProblem,
    describe,
    show,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Final

    from jsonschema.exceptions import ValidationError

# deeper than this, jsonschema's own recursion may fail where this would not: let it decide
EXPLAIN_DEPTH: Final = 100


def explain(schema: Any, instance: Any) -> Iterator[LiteError]:
    """The errors jsonschema's Draft 2020-12 validator yields for a document that failed the
    fast check, in its order, with the built-in format checks; :class:`.lite.Unsupported` for a
    keyword the explaining evaluator does not know, or nesting past ``EXPLAIN_DEPTH``
    (jsonschema then explains)."""
    return iter_errors(schema, instance, formats=FORMATS, max_depth=EXPLAIN_DEPTH)


def compile_explain(
    schema: Any, memo: dict[int, Any] | None = None
) -> Callable[..., list[LiteError]]:
    """``list(explain(schema, instance))`` compiled (:func:`.lite.compile_explainer`): the same
    errors, or the same exception. Given where the instance is in a compact position table
    (``sizes``, ``irregular`` and its own ``record``: see ``PositionTable.sizes``), each
    error has its node's record."""
    return compile_explainer(schema, FORMATS, EXPLAIN_DEPTH, memo)


def to_problems(
    errors: Iterable[ValidationError | LiteError], sizes: Any = None, irregular: Any = None
) -> list[SchemaProblem]:
    """The problems of ``errors``; with the subtree sizes of their instance's compact position
    table (see :func:`compile_explain`), each problem has the record of the node it points at
    when its error has a record (``SchemaProblem.record``)."""
    return [SchemaProblem(*fields) for fields in problem_fields(errors, sizes, irregular)]


def problem_fields(
    errors: Iterable[ValidationError | LiteError], sizes: Any = None, irregular: Any = None
) -> list[ProblemFields]:
    """:func:`to_problems`, each problem as the tuple of its fields (in ``SchemaProblem``'s
    order), which the schema check reads without making the record."""
    problems: list[ProblemFields] = []
    append = problems.append
    seen_required: set[tuple[PathElement, ...]] = set()
    for error in errors:
        if error.__class__ is tuple:
            # a type error's problem made where it was found (see explained_fields)
            append(error)
            continue
        path = error.absolute_path
        if path.__class__ is not tuple:
            path = tuple(path)
        validator = error.validator
        record = getattr(error, "record", -1) if sizes is not None else -1
        if validator == "type":
            value = error.instance
            if value is not None:
                # (the most common error first)
                append(_type_problem(error.validator_value, value, path, record))
                continue
            if not path or not isinstance(path[-1], str):
                message, quote = _type_fields(error)
                append((RULE_TYPE_MISMATCH, path, "value", message, None, quote, record))
                continue
            # only required fields are not nullable; decoding null leaves the zero value,
            # which the required check of the validation code then rejects
            message = f"required field {show(path[-1])} is null"
            problems.append((RULE_REQUIRED_MISSING, path, "value", message, None, False, record))
        elif validator == "additionalProperties":
            problems.extend(_unknown_fields(error, path, record, sizes, irregular))
        elif validator == "required":
            if path in seen_required:
                continue
            seen_required.add(path)
            problems.extend(_missing_fields(error, path, record))
        elif validator == "enum":
            problems.append(
                (RULE_ENUM_INVALID, path, "value", _enum_message(error), None, False, record)
            )
        elif validator == "format":
            check = FORMATS.get(str(error.validator_value))
            result = check(error.instance) if check else None
            if result is None:
                result = (
                    RULE_FORMAT_INVALID,
                    f"{show(error.instance)} is not a valid {error.validator_value}",
                )
            problems.append((result[0], path, "value", result[1], None, False, record))
        else:
            problems.append(
                (RULE_VALUE_INVALID, path, "value", _generic_message(error), None, False, record)
            )
    return problems


def _type_problem(
    raw: Any, value: object, path: tuple[PathElement, ...], record: int
) -> ProblemFields:
    """The problem of a type error of ``value`` (not null) against the types ``raw`` (a
    name or a list of them): its message and quote fix kept by its types (a name, or the
    schema's list itself) and then by the value (see _TYPE_FIELDS_OF)."""
    cls = value.__class__
    if cls is str:
        key: object = value if len(value) <= 64 else None  # type: ignore[arg-type]
    elif cls in _KEPT_BY_VALUE:
        key = (cls, value)
    elif cls in _KEPT_BY_CLASS:
        key = cls
    elif cls is float:
        key = (cls, repr(value))  # (as lite keeps it: a message shows its repr)
    else:
        key = None
    kept = None
    if raw.__class__ is str:
        kept = _TYPE_FIELDS_OF.get(raw)
    elif raw.__class__ is list:
        kept = _TYPE_FIELDS_OF.get(id(raw))
        if kept is not None and kept[0] is not raw:
            kept = None
    found = kept[1].get(key) if kept is not None and key is not None else None
    if found is None:
        found = _type_fields(_Typed(raw, value))
        if key is not None:
            _keep_type_fields(raw, key, found)
    return (RULE_TYPE_MISMATCH, path, "value", found[0], None, found[1], record)


class _Typed:
    """What _type_fields reads of a type error."""

    __slots__ = ("instance", "validator_value")

    def __init__(self, raw: Any, value: object) -> None:
        self.validator_value = raw
        self.instance = value


def explained_fields(
    explainer: Callable[..., list[Any]],
    instance: Any,
    sizes: Any = None,
    irregular: Any = None,
    record: int = -1,
) -> list[ProblemFields]:
    """``problem_fields(explainer(instance, sizes, irregular, record), sizes, irregular)`` of
    a compiled explainer (:func:`compile_explain`), with the problem of each type error of a
    value but null made where the explainer finds it (:func:`_type_problem`, as
    problem_fields makes it) instead of an error each: the same problems, in the same order."""
    return problem_fields(
        explainer(instance, sizes, irregular, record, _type_problem), sizes, irregular
    )


def _unknown_fields(
    error: ValidationError,
    path: tuple[PathElement, ...],
    record: int = -1,
    sizes: Any = None,
    irregular: Any = None,
) -> list[ProblemFields]:
    instance, schema = error.instance, error.schema
    if not isinstance(instance, Mapping) or not isinstance(schema, Mapping):
        return []
    properties = schema.get("properties") or {}
    allowed = list(properties)
    # (a dict's keys are what the list holds: found at once)
    known = properties if properties.__class__ is dict else allowed
    problems: list[ProblemFields] = []
    # each key's record follows the previous key's subtree (in a regular mapping)
    child = record + 1 if record >= 0 and (irregular is None or record not in irregular) else -1
    for key in instance:
        at = child
        if child >= 0:
            child += sizes[child]
        if key in known:
            continue
        message, suggestion, unique = _unknown_field(key, properties, allowed)
        clear = suggestion is not None and suggestion not in instance and unique
        problems.append(
            (
                RULE_UNKNOWN_FIELD,
                (*path, key),
                "key",
                message,
                suggestion if clear else None,
                False,
                at,
            )
        )
    return problems


# (the id of a schema's properties, an unknown key) → the properties (kept with their id, which
# nothing else has while they live) and _unknown_field's answer: the same few unknown keys come
# again in a run, and each suggestion costs difflib's comparisons with every property
_UNKNOWN: dict[tuple[int, str], tuple[object, tuple[str, str | None, bool]]] = {}


def _unknown_field(
    key: object, properties: object, allowed: list[str]
) -> tuple[str, str | None, bool]:
    """The message of an unknown key, its suggestion (:func:`_did_you_mean`), and whether no
    other property is as close to it (the rename is clear then, when the suggested field is
    not there already); kept for a string key of a dict of properties."""
    kept_at = (
        (id(properties), key) if key.__class__ is str and properties.__class__ is dict else None
    )
    if kept_at is not None:
        kept = _UNKNOWN.get(kept_at)
        if kept is not None and kept[0] is properties:
            return kept[1]
    message = f"unknown field {show(key)}"
    suggestion = _did_you_mean(str(key), allowed)
    if suggestion:
        message += f", did you mean {show(suggestion)}?"
    unique = False
    if suggestion is not None:
        from kpolicy.suggest import close_matches  # suggestions only: not at start-up

        unique = len(close_matches(str(key), allowed, n=2, cutoff=0.75)) <= 1
    found = (message, suggestion, unique)
    if kept_at is not None:
        if len(_UNKNOWN) >= _MESSAGES_KEPT:
            _UNKNOWN.clear()
        _UNKNOWN[kept_at] = (properties, found)
    return found


# (the types, as a name or a tuple of names; the value as _type_message keys it) → the message
# and the quote fix of a type error: what a run's type errors have is the same few values
_TYPE_FIELDS: dict[tuple[object, ...], tuple[str, bool]] = {}


def _type_fields(error: Any) -> tuple[str, bool]:
    """The message of a type error and whether quoting the value fixes it
    (:func:`_type_message`, :func:`_read_as_not_string`), kept for the values they keep."""
    raw, value = error.validator_value, error.instance
    cls = value.__class__
    types: object
    if raw.__class__ is str:
        types = raw
    elif raw.__class__ is list:
        types = tuple(raw)
    else:
        types = None
    key: tuple[object, ...] | None = None
    if types is not None:
        if cls is str and len(value) <= 64:
            key = (types, value)
        elif cls in _KEPT_BY_VALUE:
            key = (types, cls, value)
        elif cls in _KEPT_BY_CLASS:
            key = (types, cls)
        elif cls is float:
            key = (types, cls, repr(value))
    if key is not None:
        try:
            found = _TYPE_FIELDS.get(key)
        except TypeError:  # a type name that is not hashable: never kept
            key = found = None
        if found is not None:
            return found
    expected = _expected(raw)
    found = (_type_message(error, expected), _read_as_not_string(error, expected))
    if key is not None:
        if len(_TYPE_FIELDS) >= _MESSAGES_KEPT:
            _TYPE_FIELDS.clear()
        _TYPE_FIELDS[key] = found
    return found


# a type error's types (a name, or the id of the schema's list, kept with it: no other list
# has that id while it lives) → the list (None for a name) and the message and quote fix of
# each value kept (a short string itself, an int, a bool or null with its class, a mapping's or
# a list's class): what problem_fields looks up; emptied when it grows past a bound
_TYPE_FIELDS_OF: dict[object, tuple[object, dict[object, tuple[str, bool]]]] = {}


def _keep_type_fields(raw: object, key: object, found: tuple[str, bool]) -> None:
    if raw.__class__ is str:
        at: object = raw
    elif raw.__class__ is list:
        at = id(raw)
    else:
        return
    kept = _TYPE_FIELDS_OF.get(at)
    if kept is None or (kept[0] is not raw and raw.__class__ is list):
        if len(_TYPE_FIELDS_OF) >= _MESSAGES_KEPT:
            _TYPE_FIELDS_OF.clear()
        kept = _TYPE_FIELDS_OF[at] = (raw if raw.__class__ is list else None, {})
    if len(kept[1]) >= _MESSAGES_KEPT:
        kept[1].clear()
    kept[1][key] = found


def _read_as_not_string(error: Any, expected: tuple[str, bool, bool, bool]) -> bool:
    """A boolean or number where only a string belongs (``expected``: ``_expected`` of the
    error's types): YAML 1.1 read an unquoted scalar (on, yes, 0777, 1.10) as something else,
    and quoting its text is what was meant."""
    return expected[1] and isinstance(error.instance, _SCALARS)


def _squashed(name: str) -> str:
    """``name`` in lower case without its dashes and underscores (str.replace: a pattern of
    them was compiled in each process that made a suggestion)."""
    return name.lower().replace("-", "").replace("_", "")


def _did_you_mean(key: str, allowed: list[str]) -> str | None:
    folded = {name.lower(): name for name in allowed}
    if key.lower() in folded:
        return folded[key.lower()]
    squashed = {_squashed(name): name for name in allowed}
    if _squashed(key) in squashed:
        return squashed[_squashed(key)]
    from kpolicy.suggest import close_matches  # suggestions only: not imported at start-up

    close = close_matches(key, allowed, n=1, cutoff=0.75)
    if close:
        return close[0]
    close = close_matches(key.lower(), list(folded), n=1, cutoff=0.75)
    return folded[close[0]] if close else None


def _missing_fields(
    error: ValidationError, path: tuple[PathElement, ...], record: int = -1
) -> list[ProblemFields]:
    instance = error.instance
    required = error.validator_value
    if not isinstance(instance, Mapping) or not isinstance(required, list):
        return []
    return [
        (
            RULE_REQUIRED_MISSING,
            path,
            "key",
            f"missing required field {show(name)}",
            None,
            False,
            record,
        )
        for name in required
        if name not in instance
    ]


_TYPE_NAMES: Final = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "object": "a mapping",
    "array": "a list",
}


# a type's ``validator_value`` (a name or a list of names) → what the message says is expected;
# whether a string belongs there and no number does; whether a number does; whether a boolean
# does (kept for lists of JSON type names only: a schema's other values are not kept)
_EXPECTED: dict[object, tuple[str, bool, bool, bool]] = {}
_JSON_TYPES: Final = frozenset({*_TYPE_NAMES, "null"})
# (a tuple: ``int | float`` would make a union each time it is tested)
_SCALARS: Final = (bool, int, float)


def _number_text(value: str) -> bool:
    r"""Whether ``value`` is the text of a number a quote made a string: ``\s*[+-]?[0-9]+(\.
    [0-9]*)?\s*`` (str.strip's white space is the pattern's ``\s``), told by str methods (the
    pattern took each process that met a quoted number 0.2 ms to compile)."""
    text = value.strip()
    if text[:1] in ("+", "-"):
        text = text[1:]
    whole, _, fraction = text.partition(".")
    return (
        whole.isascii()
        and whole.isdigit()
        and (not fraction or (fraction.isascii() and fraction.isdigit()))
    )


def _expected(expected_raw: Any) -> tuple[str, bool, bool, bool]:
    # the types of every error of a schema node are the same few: found at once (a list's
    # tuple equals a kept key only when its names are the JSON type names kept)
    try:
        if expected_raw.__class__ is str:
            found = _EXPECTED.get(expected_raw)
        elif expected_raw.__class__ is list:
            found = _EXPECTED.get(tuple(expected_raw))
        else:
            found = None
    except TypeError:  # a name that is no str and not hashable: never kept
        found = None
    if found is not None:
        return found
    key: object = None
    if expected_raw.__class__ is str:
        key = expected_raw
    elif expected_raw.__class__ is list and all(name.__class__ is str for name in expected_raw):
        key = tuple(expected_raw)
    if key is not None:
        found = _EXPECTED.get(key)
        if found is not None:
            return found
    names = [expected_raw] if isinstance(expected_raw, str) else list(expected_raw or ())
    expected = [name for name in names if name != "null"]
    wanted = " or ".join(_TYPE_NAMES.get(str(name), str(name)) for name in expected)
    numeric = "integer" in expected or "number" in expected
    found = (wanted, "string" in expected and not numeric, numeric, "boolean" in expected)
    if key is not None and all(name in _JSON_TYPES for name in names):
        _EXPECTED[key] = found
    return found


# (the expected types, a short string) or (the expected types, a value's class, the value: an
# int, a bool or null) or (the expected types, a mapping's or a list's class) → the message of a
# type error: the few values a run's type errors have come again (quoted numbers and booleans,
# numbers where strings belong); emptied when it grows past a bound
_MESSAGES: dict[tuple[object, ...], str] = {}
_MESSAGES_KEPT: Final = 4096
# (the classes whose values are kept by value, and by class: lite's, whose type nodes keep
# the problems _type_problem makes by the same keys)


def _type_message(error: ValidationError, expected: tuple[str, bool, bool, bool]) -> str:
    value = error.instance
    cls = value.__class__
    key: tuple[object, ...]
    if cls is str and len(value) <= 64:
        key = (expected, value)
    elif cls in _KEPT_BY_VALUE:
        key = (expected, cls, value)
    elif cls in _KEPT_BY_CLASS:
        key = (expected, cls)
    elif cls is float:
        # (by its repr, which the message shows: 0.0 and -0.0 are equal, and shown apart)
        key = (expected, cls, repr(value))
    else:
        return _made_type_message(value, expected)
    message = _MESSAGES.get(key)
    if message is None:
        if len(_MESSAGES) >= _MESSAGES_KEPT:
            _MESSAGES.clear()
        message = _MESSAGES[key] = _made_type_message(value, expected)
    return message


def _made_type_message(value: object, expected: tuple[str, bool, bool, bool]) -> str:
    wanted, only_string, numeric, boolean = expected
    message = f"expected {wanted}, got {describe(value)}"
    if only_string:
        if isinstance(value, bool):
            return (
                message + ": YAML 1.1 reads an unquoted yes/no/on/off/true/false as a boolean, "
                "quote it"
            )
        if isinstance(value, NUMBER_CLASSES):
            return (
                message + ": an unquoted number (such as 0777, 1e3 or 1.10) is read as a "
                "number, quote it"
            )
    if numeric and isinstance(value, str) and len(value) > 4_300 and value.strip().isdigit():
        # the loader keeps a number with more digits than Python converts as text
        return (
            f"expected {wanted}, got a number of {len(value.strip())} digits, far more than "
            "a 64-bit integer holds"
        )
    if numeric and isinstance(value, str) and _number_text(value):
        return message + ": remove the quotes"
    if boolean and isinstance(value, str) and value.lower() in ("true", "false"):
        return message + ": remove the quotes"
    return message


# an enum's values (a schema's list, by identity) → the list, what its message lists, its
# string values by their lower case (the first of each), and the messages made for its short
# str values: what each error of that enum shares (a run's wrong values come again); emptied
# when it grows past a bound, or when the messages of all of them do (_enum_messages: a
# language server lives long)
_ENUMS: dict[int, tuple[object, str, dict[str, str], dict[str, str]]] = {}
_enum_messages = 0  # the messages kept in _ENUMS


def _enum_message(error: ValidationError) -> str:
    global _enum_messages
    values = error.validator_value
    kept = _ENUMS.get(id(values))
    if kept is None or kept[0] is not values:
        allowed = [value for value in values if value not in ("", None)]
        folded: dict[str, str] = {}
        for value in allowed:
            if isinstance(value, str):
                folded.setdefault(value.lower(), value)
        if len(_ENUMS) >= _MESSAGES_KEPT:
            _ENUMS.clear()
            _enum_messages = 0
        # (the list is kept with its id, which no other list has while it lives)
        kept = _ENUMS[id(values)] = (
            values,
            ", ".join(str(value) for value in allowed),
            folded,
            {},
        )
    instance = error.instance
    if instance.__class__ is not str or len(instance) > 64:
        return _enum_message_of(instance, kept[1], kept[2])
    messages = kept[3]
    message = messages.get(instance)
    if message is None:
        message = _enum_message_of(instance, kept[1], kept[2])
        if _enum_messages >= _MESSAGES_KEPT:
            for each in _ENUMS.values():
                each[3].clear()
            _enum_messages = 0
        messages[instance] = message
        _enum_messages += 1
    return message


def _enum_message_of(instance: object, listed: str, folded: dict[str, str]) -> str:
    """The message of an enum error of ``instance``, with the values its enum lists and its
    string values by their lower case."""
    message = f"{show(instance)} is not a supported value: " + listed
    if isinstance(instance, str):
        meant = folded.get(instance.lower())
        if meant is not None:
            return message + f" (did you mean {show(meant)}?)"
    return message


def _generic_message(error: ValidationError) -> str:
    message = str(error.message)
    return message[:1].lower() + message[1:] if message else "invalid value"
