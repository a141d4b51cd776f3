"""The compiled pass/fail check of a schema (see the package docstring).

Each schema node becomes a closure that answers whether a value passes, with the semantics
of jsonschema's Draft 2020-12 keywords for the subset the built-in schemas use (type,
properties, additionalProperties, items, required, enum, format, and the bounds CRDs add).
It never passes a value that jsonschema would reject: where it is unsure (an enum value that is
not a string or null) it fails, and the explaining evaluator decides. A root schema with an
unknown keyword gives no check at all; a node below it is compiled when a value first reaches it
(a one-file run reaches a few dozen of a Deployment's six hundred nodes), and one with an
unknown keyword makes the check raise :class:`Unsupported` there: its callers let jsonschema
decide, as they do without a check.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

from kpolicy.patterns import PatternError, compile_pattern
from kpolicy.schema.formats import FORMATS, FormatResult
from kpolicy.schema.lite import ANNOTATIONS, COMPILED_KEYWORDS, _compiled

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Final

FastCheck = Callable[["Any"], bool]


class Unsupported(Exception):
    """A schema node the compiled check does not support (jsonschema decides)."""


_Unsupported = Unsupported


def _fast_always(value: object) -> bool:
    return True


def _fast_never(value: object) -> bool:
    return False


def _is_integer(value: object) -> bool:
    # jsonschema's draft 6+ type checker: a float with an integral value is an integer
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_string(value: object) -> bool:
    return isinstance(value, str)


_TYPE_CHECKS: Final[dict[str, Callable[[object], bool]]] = {
    "string": _is_string,
    "integer": _is_integer,
    "number": _is_number,
    "boolean": lambda value: isinstance(value, bool),
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "null": lambda value: value is None,
}


# the classes of the values each JSON type accepts without further test (bool is not an
# integer, and a float is an integer only when integral, so neither is listed there)
_TYPE_CLASSES: Final[dict[str, tuple[type, ...]]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


def compile_fast(schema: object, memo: dict[int, FastCheck] | None = None) -> FastCheck | None:
    """The pass/fail check of a root schema, or None when it uses an unsupported keyword.

    ``memo`` (schema node id → check) may be shared by roots whose nodes are shared, while
    those nodes are alive; it gains the nodes compiled as values reach them.
    """
    try:
        # only the root is compiled here (a failure leaves no entry in memo)
        return _fast_node(schema, memo if memo is not None else {})
    except (_Unsupported, RecursionError):
        return None


def _fast_node(schema: object, memo: dict[int, FastCheck]) -> FastCheck:
    if schema is True:
        return _fast_always
    if schema is False:
        return _fast_never
    if not isinstance(schema, dict):
        raise _Unsupported(repr(schema)[:40])
    known = memo.get(id(schema))
    if known is not None:
        return known
    # inlined $refs make cycles: a reference met again while compiling goes through a cell
    cell: list[FastCheck] = []

    def deferred(value: object) -> bool:
        return cell[0](value)

    memo[id(schema)] = deferred
    try:
        check = _fast_build(schema, memo)
    except BaseException:
        del memo[id(schema)]
        raise
    cell.append(check)
    memo[id(schema)] = check
    return check


def _fast_child(
    schema: object, memo: dict[int, FastCheck], owner: dict[str, FastCheck] | list[Any], key: Any
) -> FastCheck:
    """The check of a node below a root: compiled when a value first reaches it, then put in
    its parent's ``owner[key]`` in place of this stand-in (one partial: a node names dozens of
    properties, of which a run meets a few)."""
    if schema is True:
        return _fast_always
    if schema is False:
        return _fast_never
    known = memo.get(id(schema))
    if known is not None:
        return known
    return partial(_first, schema, memo, owner, key)


def _first(
    schema: object,
    memo: dict[int, FastCheck],
    owner: dict[str, FastCheck] | list[Any],
    key: Any,
    value: object,
) -> bool:
    """A stand-in's call (:func:`_fast_child`): the node compiled, installed, and called."""
    check = _fast_node(schema, memo)
    owner[key] = check
    return check(value)


def _fast_build(schema: dict[str, Any], memo: dict[int, FastCheck]) -> FastCheck:
    for keyword in schema:
        if (
            keyword not in COMPILED_KEYWORDS
            and keyword not in ANNOTATIONS
            and not (isinstance(keyword, str) and keyword.startswith("x-"))
        ):
            raise _Unsupported(keyword)
    type_check = _fast_type(schema.get("type")) if "type" in schema else None
    enum_check = _fast_enum(schema["enum"]) if "enum" in schema else None
    format_check: Callable[[object], FormatResult] | None = None
    if "format" in schema:
        name = schema["format"]
        if not isinstance(name, str):
            raise _Unsupported("format")
        format_check = FORMATS.get(name)  # an unknown format passes, as in jsonschema
    properties: dict[str, FastCheck] | None = None
    if "properties" in schema:
        raw = schema["properties"]
        if not isinstance(raw, dict):
            raise _Unsupported("properties")
        properties = {}
        for name, sub in raw.items():
            properties[name] = _fast_child(sub, memo, properties, name)
    # [the check of additionalProperties, of items], each installed when first reached
    children: list[FastCheck | None] = [None, None]
    if "additionalProperties" in schema:
        additional = _fast_child(schema["additionalProperties"], memo, children, 0)
        children[0] = None if additional is _fast_always else additional
    required: tuple[str, ...] = ()
    if "required" in schema:
        if not isinstance(schema["required"], list) or not all(
            isinstance(name, str) for name in schema["required"]
        ):
            raise _Unsupported("required")
        required = tuple(schema["required"])
    if "items" in schema:
        items = _fast_child(schema["items"], memo, children, 1)
        children[1] = None if items is _fast_always else items
    checks_items = children[1] is not None
    checks_object = bool(properties) or children[0] is not None or bool(required)
    props = properties or {}
    props_get = props.get
    bounds = _fast_bounds(schema)
    # the shapes most nodes have, each without the tests that cannot apply to it
    declared = schema.get("type")
    # _fast_type took it: a type name, or a list of them
    names: frozenset[str] = frozenset()
    if isinstance(declared, str):
        names = frozenset((declared,))
    elif isinstance(declared, list):
        names = frozenset(declared)
    if names and names <= _SCALAR_TYPES and not checks_object and not checks_items:
        # the values it passes are neither a mapping nor a list
        assert type_check is not None
        return _fast_leaf(type_check, enum_check, format_check, bounds)
    if enum_check is None and format_check is None and bounds is None:
        nullable = "null" in names
        if names - _NULL == _OBJECT and checks_object and not checks_items:
            return _fast_object(required, props, children, nullable)
        if names - _NULL == _ARRAY and checks_items and not checks_object:
            return _fast_array(children, nullable)

    def check(value: Any) -> bool:
        if type_check is not None and not type_check(value):
            return False
        if enum_check is not None and not enum_check(value):
            return False
        if format_check is not None and format_check(value) is not None:
            return False
        if bounds is not None and not bounds(value):
            return False
        cls = value.__class__
        if cls is dict:
            if checks_object:
                for name in required:
                    if name not in value:
                        return False
                for name, item in value.items():
                    if name.__class__ is not str:
                        return False  # as_json would turn it into a string first
                    sub = props_get(name)
                    if sub is None:
                        additional = children[0]
                        if additional is not None and not additional(item):
                            return False
                    elif not sub(item):
                        return False
        elif cls is list:
            if checks_items:
                for item in value:
                    if not children[1](item):  # type: ignore[misc]
                        return False
        elif isinstance(value, dict | list):  # subclasses: let jsonschema decide
            return False
        return True

    return check


# _fast_object's and _fast_array's checks in C (kpolicy._cload's fast_object and fast_array, as
# partial(function, its data)), or None: the Python checks
_C_FAST_OBJECT: Callable[..., bool] | None = _compiled("fast_object", None)  # type: ignore[arg-type]
_C_FAST_ARRAY: Callable[..., bool] | None = _compiled("fast_array", None)  # type: ignore[arg-type]

# the types whose values are neither a mapping nor a list (a subclass of neither either)
_SCALAR_TYPES: Final = frozenset(("string", "integer", "number", "boolean", "null"))
_NULL: Final = frozenset(("null",))
_OBJECT: Final = frozenset(("object",))
_ARRAY: Final = frozenset(("array",))


def _fast_leaf(
    type_check: FastCheck,
    enum_check: FastCheck | None,
    format_check: Callable[[object], FormatResult] | None,
    bounds: FastCheck | None,
) -> FastCheck:
    """The check of a node whose types are all scalar, with no properties or items to test:
    the general check's tests of a mapping or a list cannot apply to what its type passes."""
    if enum_check is None and format_check is None and bounds is None:
        return type_check
    if format_check is None and bounds is None:
        assert enum_check is not None
        return lambda value: type_check(value) and enum_check(value)
    if enum_check is None and bounds is None:
        assert format_check is not None
        return lambda value: type_check(value) and format_check(value) is None

    def check(value: Any) -> bool:
        if not type_check(value):
            return False
        if enum_check is not None and not enum_check(value):
            return False
        if format_check is not None and format_check(value) is not None:
            return False
        return bounds is None or bool(bounds(value))

    return check


def _fast_object(
    required: tuple[str, ...],
    properties: dict[str, FastCheck],
    children: list[FastCheck | None],
    nullable: bool,
) -> FastCheck:
    """The check of a node of type object (or object and null) with properties,
    additionalProperties or required and no other test: what the general check does, in fewer
    steps."""
    if _C_FAST_OBJECT is not None:
        # (the check below in C: a mapping's check, of which a document makes a dozen, without
        # a frame of its own)
        return partial(_C_FAST_OBJECT, (required, properties, children, nullable, _SCALAR_CLASSES))

    exact_get = _SCALAR_CLASSES.get
    props_get = properties.get

    def check(value: Any) -> bool:
        if value.__class__ is not dict:
            # null where allowed; else not a mapping, or a subclass: let jsonschema decide
            return nullable and value is None
        for name in required:
            if name not in value:
                return False
        for name, item in value.items():
            if name.__class__ is not str:
                return False  # as_json would turn it into a string first
            sub = props_get(name)
            if sub is None:
                sub = children[0]
                if sub is None:
                    continue
            # a node of scalar types only (most nodes) is tested here rather than called
            exact = exact_get(sub)
            if exact is not None and item.__class__ in exact:
                continue
            if not sub(item):
                return False
        return True

    return check


def _fast_array(children: list[FastCheck | None], nullable: bool) -> FastCheck:
    """The check of a node of type array (or array and null) with items and no other test."""
    if _C_FAST_ARRAY is not None:
        return partial(_C_FAST_ARRAY, (children, nullable, _SCALAR_CLASSES))

    def check(value: Any) -> bool:
        if value.__class__ is not list:
            # null where allowed; else not a list, or a subclass: let jsonschema decide
            return nullable and value is None
        items = children[1]
        exact = _SCALAR_CLASSES.get(items)  # type: ignore[arg-type]
        if exact is not None:
            for item in value:
                if item.__class__ in exact:
                    continue
                if not items(item):  # type: ignore[misc]
                    return False
            return True
        return all(map(items, value))  # type: ignore[arg-type]

    return check


# the keywords _fast_bounds makes checks of
_BOUND_KEYWORDS: Final = frozenset(
    (
        "pattern",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
    )
)


def _fast_bounds(schema: Mapping[str, Any]) -> Callable[[Any], bool] | None:
    """``pattern`` and the length, size and number bounds of a schema node, as jsonschema's
    keyword functions apply them (each only to strings, lists or numbers); None without any."""
    if _BOUND_KEYWORDS.isdisjoint(schema):
        return None  # (most nodes: one set operation rather than a lookup of each)
    checks: list[Callable[[Any], bool]] = []
    if "pattern" in schema:
        try:
            # jsonschema: re.search(pattern, instance), bounded (a CRD's pattern is input)
            search = compile_pattern(schema["pattern"]).search
        except PatternError:
            raise _Unsupported("pattern") from None
        checks.append(lambda value: not isinstance(value, str) or search(value))
    for keyword, kind, below in (
        ("minLength", str, True),
        ("maxLength", str, False),
        ("minItems", list, True),
        ("maxItems", list, False),
    ):
        if keyword in schema:
            limit = schema[keyword]
            if not isinstance(limit, int) or isinstance(limit, bool):
                raise _Unsupported(keyword)
            checks.append(_fast_size(kind, limit, below))
    for keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if keyword in schema:
            bound = schema[keyword]
            if not _is_number(bound):
                raise _Unsupported(keyword)
            checks.append(_fast_number(keyword, bound))
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]
    return lambda value: all(check(value) for check in checks)


def _fast_size(kind: type[str] | type[list[Any]], limit: int, below: bool) -> Callable[[Any], bool]:
    if below:
        return lambda value: not isinstance(value, kind) or len(value) >= limit
    return lambda value: not isinstance(value, kind) or len(value) <= limit


def _fast_number(keyword: str, bound: float) -> Callable[[Any], bool]:
    def passes(value: Any) -> bool:
        if not _is_number(value):
            # another kind of number (Decimal): unsure, let jsonschema decide
            import numbers  # for such a value only: not imported at start-up

            return value.__class__ is bool or not isinstance(value, numbers.Number)
        if keyword == "minimum":
            return bool(value >= bound)
        if keyword == "maximum":
            return bool(value <= bound)
        if keyword == "exclusiveMinimum":
            return bool(value > bound)
        return bool(value < bound)

    return passes


def _fast_type(declared: object) -> Callable[[object], bool]:
    names = [declared] if isinstance(declared, str) else declared
    if not isinstance(names, list) or not names:
        raise _Unsupported("type")
    checks = []
    for name in names:
        if name not in _TYPE_CHECKS:
            raise _Unsupported(f"type {name!r}")
        checks.append(_TYPE_CHECKS[name])
    if len(checks) == 1:
        return checks[0]
    # one check for each list of types, which the object and array checks know by identity
    key = tuple(names)
    known = _MULTI_TYPE_CHECKS.get(key)
    if known is None:
        known = _MULTI_TYPE_CHECKS[key] = _multi_type(names, checks)
        if all(name in _SCALAR_TYPES for name in names):
            _SCALAR_CLASSES[known] = frozenset(c for name in names for c in _TYPE_CLASSES[name])
    return known


def _multi_type(
    names: list[str], checks: list[Callable[[object], bool]]
) -> Callable[[object], bool]:
    # several types (int-or-string, nullable): the exact classes the loader makes are looked up
    # in one set; anything else (a subclass, an integral float) takes the general path
    exact = frozenset(cls for name in names for cls in _TYPE_CLASSES[name])

    def check(value: object) -> bool:
        return value.__class__ in exact or any(check(value) for check in checks)

    return check


_MULTI_TYPE_CHECKS: Final[dict[tuple[str, ...], Callable[[object], bool]]] = {}
# the checks of scalar types (one or several), each with the exact classes it passes without
# further test: the object and array checks test an item of those classes themselves
_SCALAR_CLASSES: Final[dict[Callable[[object], bool], frozenset[type]]] = {
    _TYPE_CHECKS[name]: frozenset(_TYPE_CLASSES[name])
    for name in ("string", "integer", "number", "boolean", "null")
}


def _fast_enum(allowed: object) -> Callable[[object], bool]:
    if not isinstance(allowed, list):
        raise _Unsupported("enum")
    strings = frozenset(value for value in allowed if isinstance(value, str))
    allows_null = any(value is None for value in allowed)

    # anything but a string or null is left to jsonschema's own notion of equality
    def check(value: object) -> bool:
        if isinstance(value, str):
            return value in strings
        return value is None and allows_null

    return check


# deeper than this, jsonschema's own recursion may fail where this would not: let it decide
