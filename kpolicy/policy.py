"""Declarative rules and user policies: a JSON Schema (``check``) applied to a target.

A rule file with a ``check`` and no Python implementation runs here. The schema is applied to
each *target* of an object that the rule's ``kinds`` and ``match`` select:

* ``object``: the whole object;
* ``metadata``: ``metadata`` (an empty mapping when it is missing);
* ``podSpec``: the pod spec of a Pod, or the pod template's spec of any workload kind;
* ``container``: each container of that pod spec (``initContainers`` and
  ``ephemeralContainers`` when the rule file says ``containers: {init: true, ephemeral: true}``).

Every schema error becomes a problem at the failing node (a missing key: at the mapping that
should hold it), with the rule's ``message`` template followed by what failed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import lru_cache

from kpolicy.checks import CheckFn, RuleContext
from kpolicy.fix import combine, set_value
from kpolicy.index import scope_namespace
from kpolicy.model import Anchor, Applicability, Fix, KObject, Path, Problem, to_pointer
from kpolicy.patterns import (
    BUNDLED_LINEAR,
    PATTERN_TIMEOUT,
    PatternTimeout,
    bounded_validator,
    compile_pattern,
    path_of_value,
)
from kpolicy.records import record, replace
from kpolicy.ruledefs import RuleDef
from kpolicy.schema.lite import ANNOTATIONS, LiteValidator, supports
from kpolicy.workload import get, mapping, pod_containers, pod_spec, str_map

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Final

__all__ = ["Target", "declarative_check", "matches", "render_message", "targets"]

# Keywords whose value is a subschema, a list of subschemas, or a map of name → subschema.
_SUBSCHEMA = frozenset(
    {
        "additionalProperties",
        "unevaluatedProperties",
        "unevaluatedItems",
        "items",
        "contains",
        "not",
        "if",
        "then",
        "else",
        "propertyNames",
    }
)
_SUBSCHEMA_LIST = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SUBSCHEMA_MAP = frozenset({"properties", "patternProperties", "$defs", "dependentSchemas"})


@record(frozen=True, slots=True)
class Target:
    """One node a rule's schema is applied to."""

    path: Path  # from the object's root
    value: Any
    label: str  # how a message names the node itself: "container 'web'", "pod spec"
    container: str = ""  # the container's name when the target is a container
    prefix: str = ""  # how messages name the target's fields: "metadata" → metadata.labels


def declarative_check(rule: RuleDef) -> CheckFn:
    """The check function of a rule defined by a JSON Schema (``rule.check``)."""
    if rule.check is None:
        raise ValueError(f"rule {rule.id} has no check")
    validator = compiled(_canonical(rule.check))
    passes = passing_check(validator)
    match = rule.match or {}
    fix_set = rule.fix_set if rule.fix in ("safe", "unsafe") else None

    def run(obj: KObject, ctx: RuleContext) -> Iterable[Problem]:
        if match and not matches(match, obj):
            return ()
        if passes is not None and _every_node_passes(rule, obj, passes):
            return ()  # every node passes (the common case): no generator made
        return explain(obj, ctx)

    def explain(obj: KObject, ctx: RuleContext) -> Iterator[Problem]:
        seen: set[tuple[Path, str]] = set()
        for path, value in _nodes(rule, obj):
            if passes is not None and passes(value):
                continue  # no error to explain (the common case)
            target = _target(rule, obj, path, value)
            try:
                for error in validator.iter_errors(target.value):
                    problem = _problem(rule, obj, target, error)
                    key = (problem.path, problem.message)
                    if key not in seen:
                        seen.add(key)
                        if fix_set and ctx.fixes:
                            problem = replace(problem, fix=_declared_fix(rule, obj, target))
                        yield problem
            except PatternTimeout as exc:
                yield pattern_timeout_problem(rule, target, exc)
            except RecursionError:
                # a $ref cycle that consumes no instance depth: the policy cannot be evaluated
                yield Problem(
                    target.path or ("kind",),
                    f"policy {rule.id!r} recurses without end on {target.label} "
                    "(a $ref cycle in its check); it is not evaluated",
                    rule=PATTERN_TIMEOUT,
                )

    return run


# ---------------------------------------------------------------------------------------------
# whether a value passes, without the errors: most targets pass every rule, and the explaining
# evaluator walks the schema's dicts for each of them

if TYPE_CHECKING:
    Passes = Callable[[Any], bool]

_DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
_SIMPLE_TYPES: Final[Mapping[str, type | None]] = {
    "string": str,
    "object": dict,
    "array": list,
    "boolean": bool,
    "null": None,
}


class _NotCompiled(Exception):
    """A keyword (or value) :func:`passing_check` leaves to the validator."""


def passing_check(validator: object) -> Passes | None:
    """For a :class:`LiteValidator`, a function that tells whether a value passes its schema,
    exactly as ``not any(validator.iter_errors(value))`` (tests/policy hold them together), for
    the keywords rules use (properties, required, not, if/then/else, allOf/anyOf/oneOf, items,
    contains, const and enum of strings, booleans and null, one type other than a number, a
    bundled linear pattern); None when the schema has another (a user's pattern among them)."""
    if not isinstance(validator, LiteValidator):
        return None
    try:
        return _passes(validator.schema)
    except _NotCompiled:
        return None


def _passes(schema: object) -> Passes:
    if not isinstance(schema, dict):
        raise _NotCompiled
    checks: list[Passes] = []
    for keyword, value in schema.items():
        if keyword in ANNOTATIONS or keyword in ("then", "else"):
            continue
        if isinstance(keyword, str) and keyword.startswith("x-"):
            continue
        if keyword == "$schema" and value == _DRAFT_2020_12:
            continue
        checks.append(_keyword(keyword, value, schema))
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]
    every = tuple(checks)

    def all_pass(instance: Any) -> bool:
        # a loop, not all() over a generator (SIM110): this runs for every node of every object
        for check in every:  # noqa: SIM110
            if not check(instance):
                return False
        return True

    return all_pass


def _always(instance: object) -> bool:
    return True


def _keyword(keyword: object, value: Any, schema: Mapping[str, Any]) -> Passes:
    if keyword == "properties" and isinstance(value, dict):
        children = tuple((name, _passes(sub)) for name, sub in value.items())

        def properties(instance: Any) -> bool:
            if isinstance(instance, dict):
                for name, child in children:
                    if name in instance and not child(instance[name]):
                        return False
            return True

        return properties
    if keyword == "required" and isinstance(value, list):
        if not all(isinstance(name, str) for name in value):
            raise _NotCompiled
        names = tuple(value)

        def required(instance: Any) -> bool:
            if isinstance(instance, dict):
                for name in names:
                    if name not in instance:
                        return False
            return True

        return required
    if keyword in ("const", "enum"):
        allowed = [value] if keyword == "const" else value
        if not isinstance(allowed, list) or not allowed:
            raise _NotCompiled
        # lite's equality of a scalar: the same object for true, false and null; == for text
        if any(not (each is None or each is True or each is False) for each in allowed):
            if not all(isinstance(each, str) for each in allowed):
                raise _NotCompiled
            texts = frozenset(allowed)
            return lambda instance: isinstance(instance, str) and instance in texts
        singletons = tuple(allowed)
        return lambda instance: any(instance is each for each in singletons)
    if keyword == "not":
        inner = _passes(value)
        return lambda instance: not inner(instance)
    if keyword == "if":
        condition = _passes(value)
        then = _passes(schema["then"]) if "then" in schema else _always
        otherwise = _passes(schema["else"]) if "else" in schema else _always
        return lambda instance: then(instance) if condition(instance) else otherwise(instance)
    if keyword in ("items", "contains"):
        child = _passes(value)
        if keyword == "items":
            return lambda instance: not isinstance(instance, list) or all(map(child, instance))
        return lambda instance: not isinstance(instance, list) or any(map(child, instance))
    if keyword in ("allOf", "anyOf", "oneOf"):
        if not isinstance(value, list) or not value:
            raise _NotCompiled
        branches = tuple(_passes(branch) for branch in value)
        if keyword == "allOf":

            def all_of(instance: Any) -> bool:
                for branch in branches:  # noqa: SIM110 (as all_pass)
                    if not branch(instance):
                        return False
                return True

            return all_of
        if keyword == "anyOf":

            def any_of(instance: Any) -> bool:
                for branch in branches:  # noqa: SIM110 (as all_pass)
                    if branch(instance):
                        return True
                return False

            return any_of

        def one_of(instance: Any) -> bool:
            passed = 0
            for branch in branches:
                if branch(instance):
                    passed += 1
            return passed == 1

        return one_of
    if keyword == "type" and isinstance(value, str) and value in _SIMPLE_TYPES:
        expected = _SIMPLE_TYPES[value]
        if expected is None:
            return lambda instance: instance is None
        return lambda instance: isinstance(instance, expected)
    if keyword == "pattern" and value in BUNDLED_LINEAR:
        # only the bundled linear patterns (on re: never timed out, nothing spent of the run's
        # budget for patterns): a user pattern that timed out here would be reported as timed
        # out earlier, and one searched twice would spend the budget twice. Compiled when a
        # string first reaches it (compile_pattern keeps it per text), as the validator does.
        searches: list[Callable[[str], bool]] = []  # the compiled pattern's, once compiled

        def pattern(instance: Any) -> bool:
            if not isinstance(instance, str):
                return True
            if not searches:
                searches.append(compile_pattern(value).search)
            return searches[0](instance)

        return pattern
    raise _NotCompiled


def _declared_fix(rule: RuleDef, obj: KObject, target: Target) -> Fix | None:
    """The rule's ``fixSet``: each field of the target set to its value."""
    applicability: Applicability = "unsafe" if rule.fix == "unsafe" else "safe"
    title = rule.fix_title or "Set " + ", ".join(
        f"{k}: {v}" for k, v in (rule.fix_set or {}).items()
    )
    return combine(
        title,
        applicability,
        [
            set_value(obj, (*target.path, name), value, title, applicability)
            for name, value in (rule.fix_set or {}).items()
        ],
    )


def pattern_timeout_problem(rule: RuleDef, target: Target, exc: PatternTimeout) -> Problem:
    """The finding for a pattern of ``rule`` that could not be evaluated on a value."""
    relative = exc.path if exc.path is not None else path_of_value(target.value, exc.value)
    path: Path = (*target.path, *relative)
    field = _field(tuple(relative), target)
    origin = "rule" if rule.builtin else "policy"
    return Problem(
        path or ("kind",),
        f"{origin} {rule.id!r}: pattern {_short(exc.pattern)} {exc.reason} on {field}; "
        f"{rule.id} is not evaluated on {target.label}",
        rule=PATTERN_TIMEOUT,
    )


def _canonical(schema: Mapping[str, Any]) -> str:
    return json.dumps(schema, sort_keys=True, default=str)


@lru_cache(maxsize=512)
def compiled(schema_json: str) -> Any:
    """A validator for a schema (given as canonical JSON), built once per distinct schema.

    Draft 2020-12 unless the schema names another draft in ``$schema``; ``format`` is checked.
    A schema of the keywords :mod:`kpolicy.schema.lite` evaluates (most rules and policies) is
    checked there, with the same errors and without importing jsonschema.
    """
    schema = _without_boolean_subschemas(json.loads(schema_json))
    if supports(schema):
        return LiteValidator(schema)
    from jsonschema import Draft202012Validator
    from jsonschema.validators import validator_for

    cls = bounded_validator(validator_for(schema, default=Draft202012Validator))
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _without_boolean_subschemas(schema: Any) -> Any:
    """``false`` → ``{"not": {}}`` and ``true`` → ``{}`` wherever a subschema stands.

    jsonschema reports a ``false`` subschema's error without the last path element (the
    forbidden property), so a finding could not point at it; ``not: {}`` is reported exactly.
    """
    if schema is True:
        return {}
    if schema is False:
        return {"not": {}}
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _SUBSCHEMA:
            out[key] = _without_boolean_subschemas(value)
        elif key in _SUBSCHEMA_LIST and isinstance(value, list):
            out[key] = [_without_boolean_subschemas(v) for v in value]
        elif key in _SUBSCHEMA_MAP and isinstance(value, dict):
            out[key] = {k: _without_boolean_subschemas(v) for k, v in value.items()}
        else:
            out[key] = value
    return out


def matches(match: Mapping[str, Any], obj: KObject) -> bool:
    """Whether ``obj`` is selected by a rule's ``match`` (every given criterion must hold).

    ``namespaces`` and ``names`` are globs (``prod-*``); a cluster-scoped object has no
    namespace, so a ``namespaces`` criterion never selects it. ``labels`` are pairs the object's
    ``metadata.labels`` must carry; ``annotations`` are keys its ``metadata.annotations`` must have.
    """
    namespaces = match.get("namespaces")
    names = match.get("names")
    if namespaces or names:
        import fnmatch  # here: only a match by globs needs it (not imported at start-up)
    if namespaces:
        namespace = scope_namespace(obj)
        if not namespace or not any(fnmatch.fnmatchcase(namespace, p) for p in namespaces):
            return False
    if names and not any(fnmatch.fnmatchcase(obj.name, p) for p in names):
        return False
    labels = match.get("labels")
    if labels:
        present = str_map(get(obj.data, "metadata", "labels"))
        if any(present.get(k) != str(v) for k, v in labels.items()):
            return False
    annotations = match.get("annotations")
    if annotations:
        present_keys = mapping(get(obj.data, "metadata", "annotations"))
        if any(key not in present_keys for key in annotations):
            return False
    return True


def targets(rule: RuleDef, obj: KObject) -> Iterator[Target]:
    """The nodes of ``obj`` that ``rule.target`` names."""
    for path, value in _nodes(rule, obj):
        yield _target(rule, obj, path, value)


def _nodes(rule: RuleDef, obj: KObject) -> Iterator[tuple[Path, Any]]:
    """The path and value of each node of ``obj`` that ``rule.target`` names (a check makes the
    :class:`Target` of one that fails)."""
    if rule.target == "object":
        yield (), obj.data
    elif rule.target == "metadata":
        yield ("metadata",), mapping(obj.data.get("metadata"))
    else:
        found = pod_spec(obj)
        if found is None:
            return
        if rule.target == "podSpec":
            yield found
            return
        yield from pod_containers(
            obj, init=rule.init_containers, ephemeral=rule.ephemeral_containers
        )


def _every_node_passes(rule: RuleDef, obj: KObject, passes: Passes) -> bool:
    """Whether ``passes`` holds for every node :func:`_nodes` gives (True for none), read
    without its generator."""
    target = rule.target
    if target == "object":
        return passes(obj.data)
    if target == "metadata":
        return passes(mapping(obj.data.get("metadata")))
    if target == "podSpec":
        found = pod_spec(obj)
        return found is None or passes(found[1])
    # the containers of the pod spec (none without one: True, as for no pod spec)
    for _, container in pod_containers(
        obj, init=rule.init_containers, ephemeral=rule.ephemeral_containers
    ):
        if not passes(container):
            return False  # a node to explain: the general walk, from the start
    return True


def _target(rule: RuleDef, obj: KObject, path: Path, value: Any) -> Target:
    if rule.target == "object":
        return Target(path, value, obj.kind or "the object")
    if rule.target == "metadata":
        return Target(path, value, "metadata", "", "metadata")
    if rule.target == "podSpec":
        return Target(path, value, "pod spec")
    name = value.get("name")
    name = name if isinstance(name, str) else f"#{path[-1]}"
    return Target(path, value, f"container {name!r}", name)


def _problem(rule: RuleDef, obj: KObject, target: Target, error: Any) -> Problem:
    relative: Path = tuple(error.absolute_path)
    path = (*target.path, *relative)
    anchor: Anchor = "auto"
    if error.validator == "required":
        anchor = "key" if _has_key(obj, path) else "auto"
    if not path:
        path, anchor = ("kind",), "value"
    detail = describe(error, target)
    values = {
        "value": _short(error.instance),
        "path": to_pointer(path),
        "field": _field(relative, target),
        "name": obj.name,
        "namespace": obj.namespace,
        "kind": obj.kind,
        "container": target.container,
        "detail": detail,
    }
    return Problem(path, render_message(rule.message, values, detail), anchor=anchor)


def _has_key(obj: KObject, path: Path) -> bool:
    """Whether the node at ``path`` sits under a key (not a list item such as a container)."""
    entry = obj.positions.lookup(obj.base + to_pointer(path))
    return entry is not None and entry[0] is not None


# the largest width or precision a policy's message may ask for, and the longest message it
# may make: a policy file in the linted repository writes the template, and
# ``{name:>2000000000}``, or a template of many ``{value}`` of a large value, would make a
# string of gigabytes (render_message uses such a template as plain text instead)
_MAX_SPEC_NUMBER = 1000
_MAX_MESSAGE = 1 << 16


def _fill(
    template: str,
    values: Mapping[str, Any],
    depth: int = 2,
    auto: int | bool = 0,
    bounded: bool = False,
) -> tuple[str, int | bool]:
    """``string.Formatter().vformat(template, (), values)`` where a placeholder whose whole
    field name (``value``, ``name.upper``, ``0``) is not one of ``values`` stays as written,
    and the next automatic field number (False once a field is numbered by hand), without
    importing :mod:`string` in each worker process (it compiles a pattern as it is imported):
    the same text, or the same exception (``tests/policy/test_declarative.py`` holds it to a
    ``string.Formatter``). ``bounded``: a width or precision over ``_MAX_SPEC_NUMBER``, or a
    text past ``_MAX_MESSAGE`` characters, is a ValueError before it is made."""
    if depth < 0:
        raise ValueError("Max string recursion exceeded")
    # (string.Formatter's words for a switch either way)
    switched = "cannot switch from manual field specification to automatic field numbering"
    from _string import formatter_parser  # (built in: imported where a message is rendered)

    parts: list[str] = []
    made = 0  # the characters made so far, counted where bounded
    for literal, name, spec, conversion in formatter_parser(template):
        if literal:
            parts.append(literal)
        if name is None:
            continue
        if name == "":
            if auto is False:
                raise ValueError(switched)
            name = str(auto)
            auto += 1
        elif name.isdigit():
            if auto:
                raise ValueError(switched)
            auto = False
        value = values[name] if name in values else "{" + name + "}"
        if conversion is not None:
            if conversion == "s":
                value = str(value)
            elif conversion == "r":
                value = repr(value)
            elif conversion == "a":
                value = ascii(value)
            else:
                raise ValueError(f"Unknown conversion specifier {conversion!s}")
        spec, auto = _fill(spec, values, depth - 1, auto, bounded)
        if bounded and _spec_too_large(spec):
            raise ValueError("a width or precision too large for a message")
        parts.append(format(value, spec))
        if bounded:
            made += len(parts[-1]) + len(literal)
            if made > _MAX_MESSAGE:
                raise ValueError("a message too long")
    return "".join(parts), auto


def _spec_too_large(spec: str) -> bool:
    """Whether a format spec holds a number (its width or precision) over
    ``_MAX_SPEC_NUMBER``: each run of digits read (a fill character that is a digit is a run
    of one)."""
    number = ""
    for char in spec + " ":
        if "0" <= char <= "9":
            number += char
        elif number:
            digits = number.lstrip("0")
            if len(digits) > len(str(_MAX_SPEC_NUMBER)) or int(digits or "0") > _MAX_SPEC_NUMBER:
                return True
            number = ""
    return False


def render_message(template: str, values: Mapping[str, Any], detail: str) -> str:
    """The rule's message with its placeholders filled, then ``: <detail>``.

    ``{value}``, ``{path}``, ``{field}``, ``{name}``, ``{namespace}``, ``{kind}`` and
    ``{container}`` are filled in; a template that places ``{detail}`` itself, or names the
    failing node with ``{field}``, gets no suffix. An unknown placeholder is left as written,
    and a template that does not parse is used as plain text, so a policy's message can never
    make the check fail.
    """
    from _string import formatter_parser

    try:
        text = _fill(template, values, bounded=True)[0]
        named = {name for _, name, _, _ in formatter_parser(template) if name}
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        text, named = template, set()
    text = text.strip()
    if named & {"detail", "field"} or not detail:
        return text
    return f"{text}: {detail}" if text else detail


def _field(relative: Path, target: Target) -> str:
    """A node's name for messages: ``image``, ``securityContext.privileged``, ``env[2].name``."""
    if not relative:
        return target.label
    out = target.prefix
    for part in relative:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _quote(text: Any) -> str:
    """``'text'`` without repr's doubled backslashes, which would garble regular expressions."""
    text = str(text)
    return f"'{text}'" if "'" not in text and text.isprintable() else repr(text)


def _short(value: Any, limit: int = 60) -> str:
    if isinstance(value, str):
        text = _quote(value)
    elif isinstance(value, bool) or value is None:
        text = json.dumps(value)
    elif isinstance(value, int | float):
        text = str(value)
    else:
        text = json.dumps(value, default=str, separators=(", ", ": "))
    return text if len(text) <= limit else text[: limit - 3] + "..."


_TYPE_NAMES = {
    bool: "a boolean",
    int: "a number",
    float: "a number",
    str: "a string",
    list: "a list",
    dict: "a mapping",
    type(None): "null",
}


def _type_of(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _words(values: Iterable[Any]) -> str:
    return ", ".join(_short(v) for v in values)


def describe(error: Any, target: Target) -> str:
    """What failed, naming the node and its actual value, e.g.
    ``image 'docker.io/nginx' does not match '^registry.example.com/'``."""
    field = _field(tuple(error.absolute_path), target)
    instance = error.instance
    value = _short(instance)
    kind = error.validator
    expected = error.validator_value
    if kind == "required":
        present = instance if isinstance(instance, dict) else {}
        missing = [k for k in expected if k not in present] or list(expected)
        where = tuple(error.absolute_path)
        names = [_field((*where, k), target) for k in missing]
        return f"{', '.join(names)} {'is' if len(names) == 1 else 'are'} missing"
    if kind == "type":
        wanted = expected if isinstance(expected, list) else [expected]
        return f"{field} is {_type_of(instance)}, expected {' or '.join(map(str, wanted))}"
    if kind == "pattern":
        return f"{field} {value} does not match {_quote(expected)}"
    if kind == "const":
        return f"{field} is {value}, expected {_short(expected)}"
    if kind == "enum":
        return f"{field} {value} is not one of {_words(expected)}"
    if kind == "not":
        if expected in ({}, True):
            return f"{field} is not allowed"
        return f"{field} {value} is not allowed"
    if kind == "minimum":
        return f"{field} {value} is less than the minimum {_short(expected)}"
    if kind == "exclusiveMinimum":
        return f"{field} {value} is not more than {_short(expected)}"
    if kind == "maximum":
        return f"{field} {value} is more than the maximum {_short(expected)}"
    if kind == "exclusiveMaximum":
        return f"{field} {value} is not less than {_short(expected)}"
    if kind == "multipleOf":
        return f"{field} {value} is not a multiple of {_short(expected)}"
    if kind in ("minLength", "minItems", "minProperties"):
        unit = {"minLength": "characters", "minItems": "items", "minProperties": "keys"}[kind]
        return f"{field} has fewer than {expected} {unit}"
    if kind in ("maxLength", "maxItems", "maxProperties"):
        unit = {"maxLength": "characters", "maxItems": "items", "maxProperties": "keys"}[kind]
        return f"{field} has more than {expected} {unit}"
    if kind == "uniqueItems":
        return f"{field} has duplicate items"
    if kind == "format":
        return f"{field} {value} is not a valid {expected}"
    if kind == "contains":
        return f"{field} has no item that matches"
    if kind in ("anyOf", "oneOf"):
        branches: dict[Any, Any] = {}
        for sub in error.context or ():
            branches.setdefault(sub.relative_schema_path[0], sub)
        if not branches:
            return f"{field} matches more than one of the alternatives"
        reasons = [describe(sub, target) for sub in list(branches.values())[:3]]
        return f"{field} matches none of the alternatives ({'; '.join(reasons)})"
    message: str = error.message
    return f"{field}: {message if len(message) <= 150 else message[:147] + '...'}"
