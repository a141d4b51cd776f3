"""A JSON Schema evaluator for the small schemas of declarative rules and policies.

Most rule and policy checks use a handful of Draft 2020-12 keywords (``properties``,
``required``, ``const``, ``not``, ``pattern``, ``if``/``then``). For a schema that uses only
the keywords of :data:`KEYWORDS`, :class:`LiteValidator` yields the same errors as
jsonschema's ``Draft202012Validator`` (same keywords, values, instances and paths, in the same
order), without importing jsonschema, whose import alone costs ~30 ms of every run. Any other
schema is left to jsonschema (:func:`supports` says which). ``pattern`` matches through
:mod:`kpolicy.patterns` (bounded, ECMA-262-like), as kpolicy's jsonschema validators do.

The semantics follow jsonschema's own keyword functions (``jsonschema/_keywords.py``) and its
type checker and equality (``_types.py``, ``_utils.equal``); tests/schema/test_lite.py compares
the two on generated schemas and instances.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from functools import partial

from kpolicy.patterns import PatternError, PatternTimeout, compile_pattern
from kpolicy.records import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# keywords evaluated here; jsonschema ignores annotations and unknown keywords, and so does
# this module for annotations (an unknown keyword makes a schema unsupported, in case it is a
# keyword of another draft)
KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "required",
        "const",
        "enum",
        "not",
        "pattern",
        "if",
        "then",
        "else",
        "items",
        "allOf",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "contains",
        "anyOf",
        "oneOf",
    }
)
# keywords that never fail a value
ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "default",
        "examples",
        "$comment",
        "deprecated",
        "readOnly",
        "writeOnly",
    }
)
_DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
_TYPES = frozenset({"string", "integer", "number", "boolean", "object", "array", "null"})
_NUMERIC = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})
_COUNTS = frozenset({"minLength", "maxLength", "minItems", "maxItems"})
Path = tuple[str | int, ...]


class LiteError:
    """One failure, with the attributes of jsonschema's ``ValidationError`` that kpolicy reads."""

    __slots__ = (
        "absolute_path",
        "context",
        "instance",
        "record",
        "relative_schema_path",
        "schema",
        "validator",
        "validator_value",
    )

    def __init__(
        self,
        validator: str,
        value: Any,
        instance: Any,
        schema: Mapping[str, Any],
        path: Path,
        context: list[LiteError] | None = None,
        record: int = -1,
    ) -> None:
        self.validator = validator
        self.validator_value = value
        self.instance = instance
        self.schema = schema
        self.absolute_path = path
        # anyOf/oneOf: the errors of each alternative; in those, the alternative's index first
        self.context = context
        self.relative_schema_path: tuple[str | int, ...] = (validator,)
        # the record of the instance in its document's compact position table (see
        # compile_explainer), -1 when not known
        self.record = record

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
        if keyword in ANNOTATIONS or _extension(keyword):
            continue
        if keyword == "$schema":
            if value != _DRAFT_2020_12:
                return False
            continue
        if keyword not in KEYWORDS or not _value_supported(keyword, value):
            return False
    return True


# (a tuple: a union of classes is made again at each call, and isinstance of one is slower)
_SCALAR_CLASSES = (str, bool, int, float)
_NUMBER_CLASSES = (int, float)


def _is_scalar(value: object) -> bool:
    return value is None or isinstance(value, _SCALAR_CLASSES)


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
        try:
            compile_pattern(value)
        except PatternError:
            return False
        return True
    if keyword in ("not", "if", "then", "else", "items", "contains"):
        return supports(value)
    if keyword in ("allOf", "anyOf", "oneOf"):
        return isinstance(value, list) and bool(value) and all(supports(sub) for sub in value)
    if keyword in _NUMERIC:
        return isinstance(value, _NUMBER_CLASSES) and not isinstance(value, bool)
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
    if isinstance(instance, int | float):  # "number"
        return True
    import numbers  # another kind of number (Decimal) only: not imported at start-up

    return isinstance(instance, numbers.Number)


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


class Unsupported(Exception):
    """The schema uses a keyword (or a keyword value) that this module does not evaluate."""


class LiteValidator:
    """``iter_errors`` and ``is_valid`` of a schema that :func:`supports` accepts."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        if not supports(schema):
            raise ValueError("schema uses keywords this evaluator does not support")
        self.schema = schema

    def iter_errors(self, instance: Any) -> Iterator[LiteError]:
        return _errors(self.schema, instance, (), _POLICY)

    def is_valid(self, instance: Any) -> bool:
        return next(_errors(self.schema, instance, (), _POLICY), None) is None


FormatCheck = Callable[[object], object]  # None when the value passes, else why it fails


@record(frozen=True, slots=True)
class _Env:
    formats: Mapping[str, FormatCheck] | None  # None: ``format`` is not evaluated here
    max_depth: int | None  # deeper than this, jsonschema's own recursion decides


_POLICY = _Env(None, None)
# the keywords met most that never fail a value by themselves, looked up first
_PASSIVE = ANNOTATIONS | {"then", "else"}


def iter_errors(
    schema: object,
    instance: Any,
    *,
    formats: Mapping[str, FormatCheck] | None = None,
    max_depth: int | None = None,
) -> Iterator[LiteError]:
    """jsonschema's errors for ``instance``, checking the schema as it goes: a keyword this
    module does not evaluate raises :class:`Unsupported` when it is met (so a large schema,
    even a cyclic one, needs no walk beforehand), as does nesting past ``max_depth``. With
    ``formats`` (name → check), ``format`` is evaluated as jsonschema does with a format checker
    of those checks (an unknown format passes), and ``additionalProperties`` is evaluated too
    (its errors for a mapping schema come in the instance's order, where jsonschema's follow a
    set's)."""
    return _errors(schema, instance, (), _Env(formats, max_depth))


def _valid(schema: object, instance: Any, env: _Env) -> bool:
    return next(_errors(schema, instance, (), env), None) is None


def _errors(schema: object, instance: Any, path: Path, env: _Env) -> Iterator[LiteError]:
    if schema is True:
        return
    if not isinstance(schema, dict) or (env.max_depth is not None and len(path) > env.max_depth):
        raise Unsupported("schema")
    # keywords in the schema's own order, as jsonschema applies them
    for keyword, value in schema.items():
        if keyword in _PASSIVE:
            continue  # then/else belong to if; annotations never fail a value
        if keyword == "type":
            if value.__class__ is str:
                if value not in _TYPES:
                    raise Unsupported("type")
                if not _is_type(instance, value):
                    yield LiteError(keyword, value, instance, schema, path)
                continue
            names = value
            if not isinstance(names, list) or any(name not in _TYPES for name in names):
                raise Unsupported("type")
            if not any(_is_type(instance, name) for name in names):
                yield LiteError(keyword, value, instance, schema, path)
        elif keyword == "properties":
            if not isinstance(value, dict):
                raise Unsupported(keyword)
            if isinstance(instance, dict):
                for name, sub in value.items():
                    if name in instance:
                        yield from _errors(sub, instance[name], (*path, name), env)
        elif keyword == "required":
            if not _value_supported(keyword, value):
                raise Unsupported(keyword)
            if isinstance(instance, dict):
                for name in value:
                    if name not in instance:
                        yield LiteError(keyword, value, instance, schema, path)
        elif keyword in ("const", "enum"):
            if not _value_supported(keyword, value):
                raise Unsupported(keyword)  # jsonschema's equality of lists and mappings
            allowed = [value] if keyword == "const" else value
            if all(not _equal(instance, each) for each in allowed):
                yield LiteError(keyword, value, instance, schema, path)
        elif keyword == "not":
            if _valid(value, instance, env):
                yield LiteError(keyword, value, instance, schema, path)
        elif keyword == "pattern":
            try:
                pattern = compile_pattern(value)
            except PatternError:
                raise Unsupported(keyword) from None
            try:
                found = not isinstance(instance, str) or pattern.search(instance)
            except PatternTimeout as exc:
                if exc.path is None:
                    exc.path = path
                raise
            if not found:
                yield LiteError(keyword, value, instance, schema, path)
        elif keyword == "if":
            if _valid(value, instance, env):
                if "then" in schema:
                    yield from _errors(schema["then"], instance, path, env)
            elif "else" in schema:
                yield from _errors(schema["else"], instance, path, env)
        elif keyword == "items":
            if isinstance(instance, list):
                for index, item in enumerate(instance):
                    yield from _errors(value, item, (*path, index), env)
        elif keyword == "contains":
            # without minContains/maxContains (not supported): at least one item must match
            if isinstance(instance, list) and not any(
                _valid(value, item, env) for item in instance
            ):
                yield LiteError(keyword, value, instance, schema, path)
        elif keyword in ("allOf", "anyOf", "oneOf"):
            if not isinstance(value, list) or not value:
                raise Unsupported(keyword)
            if keyword == "allOf":
                for sub in value:
                    yield from _errors(sub, instance, path, env)
            else:
                yield from _alternatives(keyword, value, instance, schema, path, env)
        elif keyword in _NUMERIC or keyword in _COUNTS:
            if not _value_supported(keyword, value):
                raise Unsupported(keyword)
            if keyword in _NUMERIC:
                failed = _is_type(instance, "number") and _beyond(keyword, instance, value)
            else:
                failed = _counted(keyword, instance) and _out_of_count(
                    keyword, len(instance), value
                )
            if failed:
                yield LiteError(keyword, value, instance, schema, path)
        elif keyword == "format" and env.formats is not None:
            check = env.formats.get(value) if isinstance(value, str) else None
            if check is not None and check(instance) is not None:
                yield LiteError(keyword, value, instance, schema, path)
        elif keyword == "additionalProperties" and env.formats is not None:
            yield from _additional(value, instance, schema, path, env)
        elif (
            keyword in ("then", "else")
            or keyword in ANNOTATIONS
            or _extension(keyword)
            or (keyword == "$schema" and value == _DRAFT_2020_12)
        ):
            continue  # then/else belong to if; the others never fail a value
        else:
            raise Unsupported(str(keyword))


def _additional(
    value: object, instance: Any, schema: Mapping[str, Any], path: Path, env: _Env
) -> Iterator[LiteError]:
    if value is True:
        return
    if value is not False and not isinstance(value, dict):
        raise Unsupported("additionalProperties")
    if "patternProperties" in schema:
        raise Unsupported("patternProperties")
    if not isinstance(instance, dict):
        return
    known = schema.get("properties", {})
    extras = [name for name in instance if name not in known]
    if value is False:
        if extras:
            yield LiteError("additionalProperties", value, instance, schema, path)
        return
    for name in extras:
        yield from _errors(value, instance[name], (*path, name), env)


def _alternatives(
    keyword: str,
    branches: list[Mapping[str, Any]],
    instance: Any,
    schema: Mapping[str, Any],
    path: Path,
    env: _Env,
) -> Iterator[LiteError]:
    """anyOf and oneOf: the errors of every alternative when none holds (as the context of one
    error); for oneOf, one more error when a later alternative also holds."""
    failures: list[LiteError] = []
    valid_at = -1
    for index, branch in enumerate(branches):
        errors = list(_errors(branch, instance, path, env))
        if not errors:
            valid_at = index
            break
        for error in errors:
            error.relative_schema_path = (index, *error.relative_schema_path)
        failures.extend(errors)
    if valid_at < 0:
        yield LiteError(keyword, branches, instance, schema, path, context=failures)
        return
    if keyword == "oneOf" and any(_valid(b, instance, env) for b in branches[valid_at + 1 :]):
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


# -- the compiled explanation of the built-in schemas -------------------------------------------

# (a child's path is made as ``path + (key,)``, one tuple, where ``(*path, key)``, which ruff's
# RUF005 prefers, builds a list first: half the instructions, once a node met)

# (instance, its path, its record (-1: not known), where its errors go)
Explainer = Callable[["Any", Path, int, "_Found"], None]
# (a type error's types, its instance, path and record) → what is found in its place: a
# problem's fields (kpolicy.schema.problems.ProblemFields) whose rule, message and quote fix
# depend on the types and the value only
TypedProblem = Callable[["Any", "Any", Path, int], "Any"]


class _Found(list[LiteError]):
    """The errors found, and the size of each record's subtree in the instance's document's
    compact position table (``PositionTable.sizes``): the records of a mapping's or list's
    children follow its own, each after the previous one's subtree, unless it is one of
    ``irregular`` (see ``kpolicy.positions.PositionTable.compact``)."""

    __slots__ = ("irregular", "sizes", "typed")

    def __init__(self, sizes: Any, irregular: Any, typed: TypedProblem | None = None) -> None:
        super().__init__()
        self.sizes = sizes
        self.irregular = irregular
        # what is found for a type error of a value but null, instead of its error: see
        # compile_explainer
        self.typed = typed

    def children(self, record: int, count: int) -> Iterator[int]:
        """The records of the first ``count`` children of the container at ``record`` (-1 for
        each when not known)."""
        irregular = self.irregular
        if record < 0 or (irregular is not None and record in irregular):
            for _ in range(count):
                yield -1
            return
        sizes = self.sizes
        child = record + 1
        for _ in range(count):
            yield child
            child += sizes[child]


# the keywords :func:`compile_explainer` compiles: those the fast check knows (its
# ``kpolicy/schema/fast.py`` imports this set), which are all a built-in schema with a fast
# check uses
COMPILED_KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "additionalProperties",
        "items",
        "required",
        "enum",
        "format",
        "pattern",
        *_NUMERIC,
        *_COUNTS,
    }
)


# the classes whose values are of a JSON type (see _is_type) without further test: bool is not
# an integer, and a float is an integer only when integral, so neither is listed there
_TYPE_CLASSES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


def _extension(keyword: object) -> bool:
    """An ``x-`` keyword (a user's schema may have keys that are not text: never one)."""
    return isinstance(keyword, str) and keyword.startswith("x-")


def _active_keywords(schema: dict[str, Any]) -> list[Any]:
    """The keywords of a schema node that may fail a value, in its order (as :func:`_steps`
    takes them: not the passive ones nor an ``x-`` extension)."""
    # (a compiled keyword is neither passive nor an extension: most of a node's, told in one
    # set lookup)
    return [
        keyword
        for keyword in schema
        if keyword in COMPILED_KEYWORDS or (keyword not in _PASSIVE and not _extension(keyword))
    ]


def _leaf_classes(schema: object) -> frozenset[type] | tuple[()]:
    """The classes whose values a schema node of only ``type`` (and keywords that never fail a
    value) passes without further test (``_TYPE_CLASSES``): its explainer finds no error in
    them, so its parent need not call it. ``()`` for any other node (none is passed so)."""
    if not isinstance(schema, dict) or "type" not in schema:
        return ()
    for keyword in schema:
        if keyword != "type" and keyword not in _PASSIVE and not _extension(keyword):
            return ()
    return _declared_classes(schema["type"]) or ()


def _declared_classes(declared: Any, among: str | None = None) -> frozenset[type] | None:
    """The exact classes of the values a node's ``type`` (a name or a list of names) passes;
    None where it is not one of the known names or a list of them, or (``among``) does not
    name that type. Kept for a name or a list of names (a schema's nodes have a few types,
    asked of each node as it is compiled)."""
    cls = declared.__class__
    key: tuple[object, str | None]
    if cls is str:
        key = (declared, among)
    elif cls is list and set(map(type, declared)) <= _STR_ONLY:
        key = (tuple(declared), among)  # (of str only: equal keys, equal lists of names)
    else:
        return _declared_classes_of(declared, among)
    found = _DECLARED.get(key, _NOT_KEPT)
    if found is _NOT_KEPT:
        if len(_DECLARED) >= _DECLARED_KEPT:
            _DECLARED.clear()
        found = _DECLARED[key] = _declared_classes_of(declared, among)
    return found  # type: ignore[return-value]


# (a type name or a tuple of a list's items, the type asked among them) → _declared_classes's
# answer; emptied when it grows past a bound (a custom schema may have many lists of types)
_DECLARED: dict[tuple[object, str | None], object] = {}
_DECLARED_KEPT = 1024
_NOT_KEPT = object()
_STR_ONLY = frozenset((str,))


def _declared_classes_of(declared: Any, among: str | None) -> frozenset[type] | None:
    """:func:`_declared_classes`, worked out."""
    names = [declared] if isinstance(declared, str) else declared
    if (
        not isinstance(names, list)
        or (among is not None and among not in names)
        or not all(name.__class__ is str and name in _TYPES for name in names)
    ):
        return None
    return frozenset(cls for name in names for cls in _TYPE_CLASSES[name])


class _NotCompiled(Exception):
    """A keyword :func:`compile_explainer` leaves to :func:`iter_errors`."""


def compile_explainer(
    schema: object,
    formats: Mapping[str, FormatCheck],
    max_depth: int,
    memo: dict[int, _Node] | None = None,
) -> Callable[..., list[LiteError]]:
    """:func:`iter_errors` (with ``formats`` and ``max_depth``) compiled into closures, each
    schema node the first time a value meets it: the same errors in the same order, and
    :class:`Unsupported` (or :class:`~kpolicy.patterns.PatternTimeout`) where it would raise,
    without going through each schema node's keywords again for every value. The keywords
    compiled are the fast check's (all that a built-in schema with a fast check uses); on a
    node with any other, the whole instance is explained by ``iter_errors``. ``memo`` (schema
    node id → its explainer) may be shared by roots whose nodes are shared, while those nodes
    are alive."""
    explain = _explainer(schema, formats, max_depth, memo if memo is not None else {})

    def errors(
        instance: Any,
        sizes: Any = None,
        irregular: Any = None,
        record: int = -1,
        typed: TypedProblem | None = None,
    ) -> list[LiteError]:
        found = _Found(sizes, irregular, typed)
        try:
            explain.checked(instance, (), record if sizes is not None else -1, found)
        except _NotCompiled:
            return list(iter_errors(schema, instance, formats=formats, max_depth=max_depth))
        return found

    return errors


def _raises(keyword: str) -> Explainer:
    # what iter_errors raises when it meets this keyword (or schema): only when it is met
    def explain(instance: Any, path: Path, record: int, out: _Found) -> None:
        raise Unsupported(keyword)

    return explain


def _no_errors(instance: Any, path: Path, record: int, out: _Found) -> None:
    return None


class _Node:
    """A schema node's explainer: ``checked`` for a value at any depth (deeper than
    ``max_depth`` raises :class:`Unsupported`), ``run`` for one no deeper (which a parent
    knows: its own path is shorter than ``max_depth``). ``run`` is the node's one step itself
    once it is compiled, without a call of its own (an object node's is one step)."""

    __slots__ = ("checked", "run")

    def __init__(self, checked: Explainer, run: Explainer) -> None:
        self.checked = checked
        self.run = run


_NO_ERRORS = _Node(_no_errors, _no_errors)


def _explainer(
    schema: object, formats: Mapping[str, FormatCheck], max_depth: int, memo: dict[int, _Node]
) -> _Node:
    if schema is True:
        return _NO_ERRORS
    if not isinstance(schema, dict):
        raises = _raises("schema")
        return _Node(raises, raises)
    known = memo.get(id(schema))
    if known is not None:
        return known
    # a schema is thousands of nodes (and cyclic, with its $refs inlined), of which a document
    # meets few: each node's keywords are compiled when a value first meets it
    compiled: list[Explainer] | None = None

    def compile_steps() -> list[Explainer]:
        nonlocal compiled
        steps = compiled = _steps(schema, formats, max_depth, memo)
        if len(steps) == 1:
            node.run = steps[0]
        else:

            def run(instance: Any, path: Path, record: int, out: _Found) -> None:
                for step in steps:
                    step(instance, path, record, out)

            node.run = run
        return steps

    def checked(instance: Any, path: Path, record: int, out: _Found) -> None:
        steps = compiled
        if steps is None:
            steps = compile_steps()
        if len(path) > max_depth:
            raise Unsupported("schema")
        for step in steps:
            step(instance, path, record, out)

    def first(instance: Any, path: Path, record: int, out: _Found) -> None:
        if compiled is None:
            compile_steps()
        node.run(instance, path, record, out)

    node = memo[id(schema)] = _Node(checked, first)
    return node


def _steps(
    schema: dict[str, Any],
    formats: Mapping[str, FormatCheck],
    max_depth: int,
    memo: dict[int, _Node],
) -> list[Explainer]:
    keywords = _active_keywords(schema)
    # a node explained in one step (_object_node, _typed_leaf) runs its keywords' steps only
    # on a value of a class its step does not take itself: they are made when one first comes
    if _fusable_object(schema, keywords):
        later = [_steps_when_met(schema, formats, max_depth, memo)]
        return [_object_node(schema, later, formats, max_depth, memo, keywords)]
    if len(keywords) == 2 and "type" in keywords and not _LEAF_OTHERS.isdisjoint(keywords):
        later = [_steps_when_met(schema, formats, max_depth, memo)]
        fused = _typed_leaf(schema, later, formats, max_depth, memo, keywords)
        if fused is not None:
            return [fused]
    steps, typed = _keyword_steps(schema, formats, max_depth, memo)
    if typed is not None and len(steps) > 1:
        return [_typed_steps(schema["type"], typed, steps)]
    return steps


def _keyword_steps(
    schema: dict[str, Any],
    formats: Mapping[str, FormatCheck],
    max_depth: int,
    memo: dict[int, _Node],
) -> tuple[list[Explainer], Explainer | None]:
    """The step of each keyword of a node that may fail a value, in its order, and the
    type's (None: it has none)."""
    steps: list[Explainer] = []
    typed = None  # the step of the node's type
    for keyword, value in schema.items():
        if keyword not in COMPILED_KEYWORDS and (keyword in _PASSIVE or _extension(keyword)):
            continue  # as _errors: then/else belong to if, the others never fail a value
        step = _step(schema, keyword, value, formats, max_depth, memo)
        if step is not None:
            steps.append(step)
            if keyword == "type":
                typed = step
    return steps, typed


def _steps_when_met(
    schema: dict[str, Any],
    formats: Mapping[str, FormatCheck],
    max_depth: int,
    memo: dict[int, _Node],
) -> Explainer:
    """The steps of a node's keywords (:func:`_keyword_steps`) run in their order, made when
    it is first called."""
    made: list[Explainer] | None = None

    def steps_when_met(instance: Any, path: Path, record: int, out: _Found) -> None:
        nonlocal made
        if made is None:
            made = _keyword_steps(schema, formats, max_depth, memo)[0]
        for step in made:
            step(instance, path, record, out)

    return steps_when_met


def _fusable_object(schema: dict[str, Any], keywords: list[Any]) -> bool:
    """Whether :func:`_object_node` explains a node of these active keywords
    (:func:`_active_keywords`) in one step: of type object with properties (and required, and
    additionalProperties false or a schema)."""
    if "properties" not in keywords or not _OBJECT_KEYWORDS.issuperset(keywords):
        return False
    if _declared_classes(schema.get("type", "object"), "object") is None:
        return False  # a mapping fails the type, or the type raises: keyword by keyword
    additional = schema.get("additionalProperties", True)
    return (
        isinstance(schema["properties"], dict)
        and ("required" not in schema or _value_supported("required", schema["required"]))
        and (additional is True or additional is False or isinstance(additional, dict))
    )


# the keywords besides a type of the nodes _typed_leaf explains in one step
_LEAF_OTHERS = frozenset(("enum", "additionalProperties", "items"))


def _typed_leaf(
    schema: dict[str, Any],
    steps: list[Explainer],
    formats: Mapping[str, FormatCheck],
    max_depth: int,
    memo: dict[int, _Node],
    keywords: list[Any],
) -> Explainer | None:
    """The two steps of a node of type string (or a nullable string) and an enum, of a type
    with object and additionalProperties a schema (``_typed_map``), or of a type with array
    and items
    (the lists of a built-in kind), in one: the same errors in the same order as ``steps``
    (as :func:`_typed_steps` runs them), without a call for each keyword; None for any other
    node. (``keywords``: the node's active ones, :func:`_active_keywords`.)"""
    if len(keywords) != 2:
        return None
    declared = schema["type"]
    # (a type of "string", or a list of names with it: a nullable string, ["string", "null"])
    if "enum" in keywords and _declared_classes(declared, "string") is not None:
        allowed = schema["enum"]
        if not _value_supported("enum", allowed):
            return None
        strings = frozenset(each for each in allowed if isinstance(each, str))

        def string_enum(instance: Any, path: Path, record: int, out: _Found) -> None:
            if instance.__class__ is str:
                # the type passes it: the enum's step (a string equals only strings)
                if instance not in strings:
                    out.append(LiteError("enum", allowed, instance, schema, path, None, record))
                return
            for step in steps:
                step(instance, path, record, out)

        if _C_STRING_ENUM is not None:
            return partial(_C_STRING_ENUM, (strings, allowed, schema, steps, globals()))
        return string_enum
    additional = schema.get("additionalProperties")
    if (
        "additionalProperties" in keywords
        and additional.__class__ is dict
        and "patternProperties" not in schema
    ):
        return _typed_map(schema, declared, additional, steps, formats, max_depth, memo)
    if "items" in keywords:
        passed = _declared_classes(declared, "array")
        if passed is None:
            return None
        return _items(schema["items"], formats, max_depth, memo, steps, passed)
    return None


def _typed_map(
    schema: dict[str, Any],
    declared: Any,
    additional: dict[str, Any],
    steps: list[Explainer],
    formats: Mapping[str, FormatCheck],
    max_depth: int,
    memo: dict[int, _Node],
) -> Explainer | None:
    """The two steps of a node of a type and additionalProperties a schema (a map of a
    built-in kind: labels, annotations, a ConfigMap's data, ...) in one, as ``_typed_steps``
    runs them: a value of its types' exact classes goes through the additionalProperties
    step only (which explains a mapping's every key, and passes anything else), any other
    through both; None for a type that is not of mappings (or raises)."""
    classes = _declared_classes(declared, "object")
    if classes is None:
        return None
    sub = _explainer(additional, formats, max_depth, memo)
    leaf = _leaf_classes(additional)
    known = schema.get("properties", {})

    def typed_map(instance: Any, path: Path, record: int, out: _Found) -> None:
        cls = instance.__class__
        if cls is dict:
            # (the additionalProperties step, _additional_step's, in line)
            _extra(instance, path, record, out, known, sub, leaf, len(path) < max_depth)
        elif cls not in classes:
            for step in steps:
                step(instance, path, record, out)

    if _C_CHILDREN is not None:
        return partial(_C_CHILDREN, (dict, sub, leaf, known, max_depth, typed_map, globals()))
    return typed_map


def _typed_steps(declared: Any, typed: Explainer, steps: list[Explainer]) -> Explainer:
    """The steps of a node with a type and other keywords (a list of items, an enum or a
    format of a string) in one: a value of one of its types' exact classes (which the type's
    step passes without an error) goes through the others only, in their order; any other
    through them all."""
    names = [declared] if isinstance(declared, str) else declared
    if not isinstance(names, list) or any(name not in _TYPES for name in names):
        return _all_steps(steps)  # a type that raises: keyword by keyword
    classes = frozenset(cls for name in names for cls in _TYPE_CLASSES[name])
    rest = [step for step in steps if step is not typed]
    if len(rest) == 1:
        (only,) = rest

        def typed_one(instance: Any, path: Path, record: int, out: _Found) -> None:
            if instance.__class__ in classes:
                only(instance, path, record, out)
            else:
                for step in steps:
                    step(instance, path, record, out)

        if _C_TYPED_ONE is not None:
            return partial(_C_TYPED_ONE, (classes, only, steps))
        return typed_one

    def typed_steps(instance: Any, path: Path, record: int, out: _Found) -> None:
        for step in rest if instance.__class__ in classes else steps:
            step(instance, path, record, out)

    return typed_steps


def _all_steps(steps: list[Explainer]) -> Explainer:
    def all_steps(instance: Any, path: Path, record: int, out: _Found) -> None:
        for step in steps:
            step(instance, path, record, out)

    return all_steps


# a property's place among its node's properties, its explainer, and the classes it passes
# without a call when it is a leaf of types only (see _leaf_classes), else ()
_Property = tuple[int, _Node, "frozenset[type] | tuple[()]"]


def _properties_met(
    properties: dict[str, Any],
    formats: Mapping[str, FormatCheck],
    max_depth: int,
    memo: dict[int, _Node],
) -> tuple[dict[str, _Property], Callable[[Any], _Property | None]]:
    """The ``_Property`` of each of ``properties`` that a value has had (name → it), and
    what makes one when a value first has it (None for a name not among them): a node of a
    built-in kind names dozens of properties (a Pod's spec forty), of which a run meets a few,
    so each is prepared when first met."""
    subs: dict[str, _Property] = {}
    places = {name: place for place, name in enumerate(properties)}

    def sub_of(name: Any) -> _Property | None:
        place = places.get(name)
        if place is None:
            return None
        sub = properties[name]
        found = subs[name] = (
            place,
            _explainer(sub, formats, max_depth, memo),
            _leaf_classes(sub),
        )
        return found

    return subs, sub_of


# the values whose type problem a type node keeps (as kpolicy.schema.explain keeps their
# messages, by these same sets), by value and by class (a float by its repr: 0.0 and -0.0 are
# equal, and shown apart, and a message shows a float as its repr), and how many it keeps
_KEPT_BY_VALUE = frozenset((int, bool, type(None)))
_KEPT_BY_CLASS = frozenset((dict, list))
_TYPED_KEPT = 1024
# the keywords of the object nodes _object_node explains in one step
_OBJECT_KEYWORDS = frozenset({"type", "properties", "required", "additionalProperties"})
# the classes the loader makes (a plain tree's): of these, a value that is none of its types'
# exact classes (``_TYPE_CLASSES``) fails them, but an integral float where integers belong
_PLAIN_CLASSES = frozenset(cls for classes in _TYPE_CLASSES.values() for cls in classes)
# (the classes that fail an integer type: not an integral float)
_PLAIN_BUT_FLOAT = _PLAIN_CLASSES - {float}


def _present_of(
    instance: dict[Any, Any],
    subs: dict[str, _Property],
    sub_of: Callable[[Any], _Property | None],
    shallow: bool,
    sizes: Any,
    child: int,
) -> tuple[list[tuple[int, _Node, Any, int, Any]], bool]:
    """The properties that a mapping of an object node has, in the schema's order (as
    jsonschema reports them), found from its own keys (an object has a few of the dozens
    named): each as (its place, its explainer, its key, its record, its value), but a value
    of its leaf's types when ``shallow`` (it has no error: not even listed); and whether a key
    is not among the properties. The first key's record is ``child`` (-1: not known, nor is
    any), each next one's follows the previous key's subtree (``sizes``). ``kpolicy._cload``'s
    ``present_of`` is this loop in C (the same list, the same calls of ``sub_of``)."""
    present = []
    unknown = False
    subs_get = subs.get
    if child < 0:
        for name, item in instance.items():
            found = subs_get(name) or sub_of(name)
            if found is None:
                unknown = True
            elif not shallow or item.__class__ not in found[2]:
                present.append((found[0], found[1], name, -1, item))
    else:
        for name, item in instance.items():
            found = subs_get(name) or sub_of(name)
            if found is None:
                unknown = True
            elif not shallow or item.__class__ not in found[2]:
                present.append((found[0], found[1], name, child, item))
            child += sizes[child]
    if len(present) > 1:
        present.sort()  # by place: places differ, so nothing else is compared
    return present, unknown


def _explain_present(
    instance: dict[Any, Any],
    subs: dict[str, _Property],
    sub_of: Callable[[Any], _Property | None],
    shallow: bool,
    sizes: Any,
    child: int,
    path: Path,
    out: _Found,
) -> bool:
    """The properties of :func:`_present_of` explained, in its order, each by its node's
    ``run`` (``shallow``: a child deeper than max_depth raises in its explainer, always called
    there, ``checked``) with its path and record; whether a key is not among the properties.
    ``kpolicy._cload.explain_present`` is this in C (the same calls, in the same order)."""
    present, unknown = _present_of(instance, subs, sub_of, shallow, sizes, child)
    if shallow:
        for _, sub, name, record, item in present:
            sub.run(item, path + (name,), record, out)  # noqa: RUF005
    else:
        for _, sub, name, record, item in present:
            sub.checked(item, path + (name,), record, out)  # noqa: RUF005
    return unknown


def _explain_children(
    instance: Any,
    run: Explainer,
    leaf: frozenset[type] | tuple[()],
    known: Any,
    path: Path,
    sizes: Any,
    child: int,
    out: _Found,
) -> None:
    """The items of a list, or the keys of a mapping not in ``known`` (None: every key), in
    their order, each explained by ``run`` (of a value no deeper than max_depth) with its path
    and record, but a value of the ``leaf`` classes (it has no error). The first child's
    record is ``child`` (-1: not known, nor is any), each next one's follows the previous
    one's subtree (``sizes``). ``kpolicy._cload.explain_children`` is this in C (for a list or
    a dict: the same calls in the same order)."""
    pairs = instance.items() if isinstance(instance, dict) else enumerate(instance)
    if child < 0:
        for name, item in pairs:
            if item.__class__ not in leaf and (known is None or name not in known):
                run(item, path + (name,), -1, out)  # noqa: RUF005
        return
    for name, item in pairs:
        if item.__class__ not in leaf and (known is None or name not in known):
            run(item, path + (name,), child, out)  # noqa: RUF005
        child += sizes[child]


def _compiled(name: str, otherwise: Callable[..., Any]) -> Callable[..., Any]:
    """``kpolicy._cload``'s function ``name`` where the C extension is built (and
    KPOLICY_PURE_PYTHON is not set, as for the C loader), else ``otherwise``."""
    if os.environ.get("KPOLICY_PURE_PYTHON"):
        return otherwise
    try:
        from kpolicy import _cload  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return otherwise
    found: Callable[..., Any] = getattr(_cload, name, otherwise)
    return found


# what object nodes find and explain their properties with (``kpolicy._cload.present_of`` is
# the finding alone: tests/schema/test_present_of.py holds both to the Python loops)
explain_present = _compiled("explain_present", _explain_present)
# what lists' items and mappings' other keys are explained with (see _explain_children)
explain_children = _compiled("explain_children", _explain_children)
# _closed_node's step in C (kpolicy._cload.closed_node), or None: the Python one
_C_CLOSED_NODE: Callable[..., None] | None = _compiled("closed_node", None)  # type: ignore[arg-type]
# the type step's usual cases in C (kpolicy._cload.any_type), or None: the Python step alone;
# and typed_one's, string_enum's and format_'s steps in C (kpolicy._cload's typed_one,
# string_enum and format_step, as partial(function, its data): a call of a leaf's step without
# a frame of its own), or None: the Python steps
_C_ANY_TYPE: Callable[..., None] | None = _compiled("any_type", None)  # type: ignore[arg-type]
_C_TYPED_ONE: Callable[..., None] | None = _compiled("typed_one", None)  # type: ignore[arg-type]
_C_STRING_ENUM: Callable[..., None] | None = _compiled("string_enum", None)  # type: ignore[arg-type]
_C_FORMAT: Callable[..., None] | None = _compiled("format_step", None)  # type: ignore[arg-type]
# the usual case of items' and typed_map's steps in C (kpolicy._cload.children_step: a list's
# or a map's children explained, with the first one's record), or None: the Python steps
_C_CHILDREN: Callable[..., None] | None = _compiled("children_step", None)  # type: ignore[arg-type]


def _object_node(
    schema: dict[str, Any],
    steps: list[Explainer],
    formats: Mapping[str, FormatCheck],
    max_depth: int,
    memo: dict[int, _Node],
    keywords: list[Any],
) -> Explainer:
    """The steps of a node of type object with properties (and required, and
    additionalProperties false or a schema: one that :func:`_fusable_object` takes, with its
    ``keywords``), most nodes that a mapping of a built-in kind meets, in one: the same errors
    in the same order as ``steps`` (those of a value that is not a dict), without a call for
    each keyword (nor one for each child whose value is of the types of a leaf that has
    nothing but a type, ``_leaf_classes``)."""
    properties = schema["properties"]
    required = schema.get("required", ())
    additional = schema.get("additionalProperties", True)
    closed = additional is False
    extra: _Node | None = None
    if additional is not True and not closed:
        extra = _explainer(additional, formats, max_depth, memo)
    extra_leaf = _leaf_classes(additional)
    allowed = properties.keys()
    # name → (its place among the properties, its explainer, its leaf classes)
    subs, sub_of = _properties_met(properties, formats, max_depth, memo)
    # the keywords that find errors in a mapping, in the schema's order (its type passes it)
    order = tuple(keyword for keyword in keywords if keyword != "type")
    if closed and order in _CLOSED_ORDERS:
        return _closed_node(schema, steps, max_depth, subs, sub_of, len(order) == 3)

    def object_node(instance: Any, path: Path, record: int, out: _Found) -> None:
        if instance.__class__ is not dict:
            for step in steps:
                step(instance, path, record, out)
            return
        # a child deeper than max_depth raises in its explainer: always called there
        shallow = len(path) < max_depth
        # whether a key is not among the properties, once they are found (None: not yet)
        unknown: bool | None = None
        for keyword in order:
            if keyword == "properties":
                # the properties the value has, in the schema's order (as jsonschema reports
                # them), found from its own keys: an object has a few of the dozens named;
                # each with its record, which follows the previous key's subtree
                # (but a value of its leaf's types, which has no error: not even listed)
                # (and each explained: _explain_present)
                irregular = out.irregular
                if record < 0 or (irregular is not None and record in irregular):
                    unknown = explain_present(instance, subs, sub_of, shallow, None, -1, path, out)
                else:
                    unknown = explain_present(
                        instance, subs, sub_of, shallow, out.sizes, record + 1, path, out
                    )
            elif keyword == "required":
                for name in required:
                    if name not in instance:
                        out.append(
                            LiteError("required", required, instance, schema, path, None, record)
                        )
            elif closed:
                if unknown if unknown is not None else not instance.keys() <= allowed:
                    out.append(
                        LiteError(
                            "additionalProperties", False, instance, schema, path, None, record
                        )
                    )
            elif extra is not None:
                _extra(instance, path, record, out, allowed, extra, extra_leaf, shallow)

    return object_node


# the orders of an object node's keywords (but its type) that _closed_node takes: the properties,
# the required ones, and additionalProperties false last (nearly every node of a built-in kind)
_CLOSED_ORDERS = frozenset(
    {("properties", "additionalProperties"), ("properties", "required", "additionalProperties")}
)


def _closed_node(
    schema: dict[str, Any],
    steps: list[Explainer],
    max_depth: int,
    subs: dict[str, _Property],
    sub_of: Callable[[Any], _Property | None],
    requires: bool,
) -> Explainer:
    """``_object_node``'s step for a node of properties, (``requires``) required and
    additionalProperties false, in that order (``_CLOSED_ORDERS``): the same errors in the same
    order, without going through its keywords for each mapping (a node of a built-in kind
    meets thousands of them a run)."""
    required = schema.get("required", ()) if requires else ()
    allowed = schema["properties"].keys()
    if _C_CLOSED_NODE is not None:
        # (the step below in C, as partial(closed_node, data): a call of a mapping node, of
        # which a failing document's explanation makes a dozen, without a frame of its own)
        return partial(
            _C_CLOSED_NODE, (steps, max_depth, subs, sub_of, required, allowed, schema, globals())
        )

    def closed_node(instance: Any, path: Path, record: int, out: _Found) -> None:
        if instance.__class__ is not dict:
            for step in steps:
                step(instance, path, record, out)
            return
        # (as object_node: properties, required, additionalProperties)
        shallow = len(path) < max_depth
        irregular = out.irregular
        if record < 0 or (irregular is not None and record in irregular):
            unknown = explain_present(instance, subs, sub_of, shallow, None, -1, path, out)
        else:
            unknown = explain_present(
                instance, subs, sub_of, shallow, out.sizes, record + 1, path, out
            )
        for name in required:
            if name not in instance:
                out.append(LiteError("required", required, instance, schema, path, None, record))
        if unknown if unknown is not None else not instance.keys() <= allowed:
            out.append(
                LiteError("additionalProperties", False, instance, schema, path, None, record)
            )

    return closed_node


def _step(
    schema: dict[str, Any],
    keyword: str,
    value: Any,
    formats: Mapping[str, FormatCheck],
    max_depth: int,
    memo: dict[int, _Node],
) -> Explainer | None:
    """One keyword of a schema node, as :func:`_errors` evaluates it (None: it never fails)."""
    if keyword not in COMPILED_KEYWORDS:
        raise _NotCompiled(str(keyword))
    if keyword == "type":
        names = [value] if isinstance(value, str) else value
        # one type, int-or-string, nullable: the exact classes the loader makes, in one set
        # lookup (and a value of another class the loader makes fails without _is_type)
        # (kept by _declared_classes for the few types of a schema, which are valid names;
        # any other case is tested and worked out here)
        found = _declared_classes(value)
        if found is None:
            if not isinstance(names, list) or any(name not in _TYPES for name in names):
                return _raises("type")
            found = frozenset(cls for name in names for cls in _TYPE_CLASSES[name])
        exact = found

        integral = "integer" in names and "number" not in names
        # the fields of the problems made by ``typed`` (its last one: owner[0]) for the values
        # kept as explain._type_problem keeps them (a short string, an int, a bool, a mapping's
        # or a list's class): their rule, message and quote fix, the same for each
        kept: dict[object, tuple[Any, Any, Any]] = {}
        owner: list[TypedProblem | None] = [None]

        def any_type(instance: Any, path: Path, record: int, out: _Found) -> None:
            cls = instance.__class__
            if cls in exact:
                return
            # a class the loader makes fails when it is none of the exact ones, unless it is
            # an integral float where integers belong; any other goes through the type names
            if (cls in _PLAIN_CLASSES and not (cls is float and integral)) or not any(
                _is_type(instance, name) for name in names
            ):
                typed = out.typed
                if typed is None or instance is None:
                    out.append(LiteError("type", value, instance, schema, path, None, record))
                    return
                if cls is str:
                    key: object = instance if len(instance) <= 64 else None
                elif cls in _KEPT_BY_VALUE:
                    key = (cls, instance)
                elif cls in _KEPT_BY_CLASS:
                    key = cls
                elif cls is float:
                    key = (cls, repr(instance))
                else:
                    key = None
                if key is not None and owner[0] is typed:
                    found = kept.get(key)
                    if found is not None:
                        out.append(
                            (found[0], path, "value", found[1], None, found[2], record)  # type: ignore[arg-type]
                        )
                        return
                fields = typed(value, instance, path, record)
                if key is not None:
                    if owner[0] is not typed or len(kept) >= _TYPED_KEPT:
                        kept.clear()
                        owner[0] = typed
                    kept[key] = (fields[0], fields[3], fields[5])
                out.append(fields)

        if _C_ANY_TYPE is not None:
            # (the passes and the kept problems in C, without a frame: a failing document's
            # type errors are most of its errors; any other case is the step above's)
            fails = _PLAIN_BUT_FLOAT if integral else _PLAIN_CLASSES
            return partial(_C_ANY_TYPE, (exact, fails, kept, owner, _Found, any_type))
        return any_type
    if keyword == "properties":
        if not isinstance(value, dict):
            return _raises(keyword)
        # name → (its place among the properties, its explainer, the classes it passes
        # without a call when it is a leaf of types only (see _leaf_classes), else ())
        subs, sub_of = _properties_met(value, formats, max_depth, memo)
        subs_get = subs.get

        def properties(instance: Any, path: Path, record: int, out: _Found) -> None:
            # the properties the value has, in the schema's order (as jsonschema reports
            # them), found from its own keys: an object has a few of the dozens a schema names
            if isinstance(instance, dict):
                present = []
                for name, child in zip(instance, out.children(record, len(instance)), strict=True):
                    found = subs_get(name) or sub_of(name)
                    if found is not None:
                        present.append((found, name, child))
                if len(present) > 1:
                    present.sort()  # by place: places differ, so nothing else is compared
                # a child deeper than max_depth raises in its explainer: always called there
                shallow = len(path) < max_depth
                for (_, sub, leaf), name, child in present:
                    item = instance[name]
                    if not shallow:
                        sub.checked(item, path + (name,), child, out)  # noqa: RUF005
                    elif item.__class__ not in leaf:  # (a value of the leaf's types: no error)
                        sub.run(item, path + (name,), child, out)  # noqa: RUF005

        return properties
    if keyword == "required":
        if not _value_supported(keyword, value):
            return _raises(keyword)

        def required(instance: Any, path: Path, record: int, out: _Found) -> None:
            if isinstance(instance, dict):
                for name in value:
                    if name not in instance:
                        out.append(
                            LiteError("required", value, instance, schema, path, None, record)
                        )

        return required
    if keyword == "enum":
        if not _value_supported(keyword, value):
            return _raises(keyword)

        # a string equals only the strings among the values (_equal): one set lookup
        strings = frozenset(each for each in value if isinstance(each, str))

        def enum(instance: Any, path: Path, record: int, out: _Found) -> None:
            if instance.__class__ is str:
                if instance in strings:
                    return
            elif any(_equal(instance, each) for each in value):
                return
            out.append(LiteError("enum", value, instance, schema, path, None, record))

        return enum
    if keyword == "pattern":
        try:
            search = compile_pattern(value).search
        except PatternError:
            return _raises(keyword)

        def pattern(instance: Any, path: Path, record: int, out: _Found) -> None:
            try:
                found = not isinstance(instance, str) or search(instance)
            except PatternTimeout as exc:
                if exc.path is None:
                    exc.path = path
                raise
            if not found:
                out.append(LiteError("pattern", value, instance, schema, path, None, record))

        return pattern
    if keyword == "items":
        return _items(value, formats, max_depth, memo, None, frozenset())
    if keyword == "format":
        check = formats.get(value) if isinstance(value, str) else None
        if check is None:
            return None

        def format_(instance: Any, path: Path, record: int, out: _Found) -> None:
            if check(instance) is not None:
                out.append(LiteError("format", value, instance, schema, path, None, record))

        if _C_FORMAT is not None:
            return partial(_C_FORMAT, (check, value, schema, globals()))
        return format_
    if keyword == "additionalProperties":
        return _additional_step(schema, value, formats, max_depth, memo)
    # the bounds
    if not _value_supported(keyword, value):
        return _raises(keyword)
    numeric = keyword in _NUMERIC

    def bound(instance: Any, path: Path, record: int, out: _Found) -> None:
        if numeric:
            failed = _is_type(instance, "number") and _beyond(keyword, instance, value)
        else:
            failed = _counted(keyword, instance) and _out_of_count(keyword, len(instance), value)
        if failed:
            out.append(LiteError(keyword, value, instance, schema, path, None, record))

    return bound


def _items(
    value: Any,
    formats: Mapping[str, FormatCheck],
    max_depth: int,
    memo: dict[int, _Node],
    otherwise: list[Explainer] | None,
    passed: frozenset[type],
) -> Explainer:
    """``items`` as :func:`_errors` evaluates it; with ``otherwise`` (the steps of a node of a
    type and items, ``_typed_items``), that whole node in one step: a value of the exact
    classes ``passed`` (its types', which the type's step passes) but a list has no error, and
    one of any other class but a list goes through ``otherwise``."""
    sub = _explainer(value, formats, max_depth, memo)
    leaf = _leaf_classes(value)

    def items(instance: Any, path: Path, record: int, out: _Found) -> None:
        if instance.__class__ is not list:
            if otherwise is not None:
                if instance.__class__ not in passed:
                    for step in otherwise:
                        step(instance, path, record, out)
                return
            if not isinstance(instance, list):
                return
        shallow = len(path) < max_depth  # as in properties
        irregular = out.irregular
        if not shallow:
            for index, child in enumerate(out.children(record, len(instance))):
                sub.checked(instance[index], path + (index,), child, out)  # noqa: RUF005
            return
        # (each item's record follows the previous item's subtree: _explain_children)
        explain = explain_children if instance.__class__ is list else _explain_children
        if record < 0 or (irregular is not None and record in irregular):
            explain(instance, sub.run, leaf, None, path, None, -1, out)
        else:
            explain(instance, sub.run, leaf, None, path, out.sizes, record + 1, out)

    if _C_CHILDREN is not None:
        return partial(_C_CHILDREN, (list, sub, leaf, None, max_depth, items, globals()))
    return items


def _additional_step(
    schema: dict[str, Any],
    value: Any,
    formats: Mapping[str, FormatCheck],
    max_depth: int,
    memo: dict[int, _Node],
) -> Explainer | None:
    """``additionalProperties`` as :func:`_additional` evaluates it."""
    if value is True:
        return None
    if (value is not False and not isinstance(value, dict)) or "patternProperties" in schema:
        return _raises("additionalProperties")
    if value is False:
        properties = schema.get("properties", {})
        if isinstance(properties, dict):
            allowed = properties.keys()

            def closed_to(instance: Any, path: Path, record: int, out: _Found) -> None:
                if isinstance(instance, dict) and not instance.keys() <= allowed:
                    out.append(
                        LiteError(
                            "additionalProperties", value, instance, schema, path, None, record
                        )
                    )

            return closed_to

        def closed(instance: Any, path: Path, record: int, out: _Found) -> None:
            if isinstance(instance, dict):
                known = schema.get("properties", {})
                if any(name not in known for name in instance):
                    out.append(
                        LiteError(
                            "additionalProperties", value, instance, schema, path, None, record
                        )
                    )

        return closed
    sub = _explainer(value, formats, max_depth, memo)
    leaf = _leaf_classes(value)

    def additional(instance: Any, path: Path, record: int, out: _Found) -> None:
        if isinstance(instance, dict):
            known = schema.get("properties", {})
            shallow = len(path) < max_depth  # as in properties
            _extra(instance, path, record, out, known, sub, leaf, shallow)

    return additional


def _extra(
    instance: dict[str, Any],
    path: Path,
    record: int,
    out: _Found,
    known: Any,
    sub: _Node,
    leaf: frozenset[type] | tuple[()],
    shallow: bool,
) -> None:
    """The children of ``instance`` not in ``known``, explained by ``sub`` in the instance's
    order (but those that a leaf's types pass)."""
    if not shallow:
        for name, child in zip(instance, out.children(record, len(instance)), strict=True):
            if name not in known:
                sub.checked(instance[name], path + (name,), child, out)  # noqa: RUF005
        return
    irregular = out.irregular
    # (each key's record follows the previous key's subtree, as out.children gives them:
    # _explain_children)
    explain = explain_children if instance.__class__ is dict else _explain_children
    if record < 0 or (irregular is not None and record in irregular):
        explain(instance, sub.run, leaf, known, path, None, -1, out)
    else:
        explain(instance, sub.run, leaf, known, path, out.sizes, record + 1, out)
