"""The fast pass/fail check and its explanation agree with jsonschema, document by document.

``SchemaValidator.validate`` decides with a compiled check and explains failures itself for the
keywords the built-in schemas use; jsonschema is the reference both are held to here.
"""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpolicy.schema import SchemaValidator, supported_versions
from kpolicy.schema.explain import compile_explain, explain, to_problems
from kpolicy.schema.instance import as_json, is_plain_tree, tree_size
from kpolicy.schema.lite import Unsupported
from tests.conftest import CORPUS, ROOT
from tests.helpers import examples

from .test_hostile import FIELD_NAMES, KINDS, trees


def _step_name(step: Any) -> str:
    """A compiled step's name: its function's, or (a step in C: partial(a function of
    kpolicy._cload, its data)) the name of the Python step it stands in for."""
    name = getattr(step, "__name__", None)
    if name is None:
        name = step.func.__name__
        if name == "children_step":  # (a list's items, or a map's: its data's class)
            name = "items" if step.args[0][0] is list else "typed_map"
        name = {"format_step": "format_"}.get(name, name)
    return str(name)


def reference(validator: SchemaValidator, document: Any) -> list[Any]:
    """What validate() returned before the fast path: jsonschema on the JSON copy."""
    api_version, kind = document.get("apiVersion"), document.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return []
    compiled = validator._validator_for(api_version, kind)
    if compiled is None or tree_size(document) > 2_000_000:
        return []
    try:
        return to_problems(compiled.iter_errors(as_json(document, {})))
    except RecursionError:
        return []


def ordered(problems: list[Any]) -> list[Any]:
    return sorted(problems, key=repr)


def documents() -> list[Any]:
    found: list[Any] = []
    folders = [ROOT / "examples", ROOT / "tests" / "rules"]
    if CORPUS.is_dir():
        folders.append(CORPUS)
    for folder in folders:
        for path in sorted(folder.rglob("*.yaml")):
            try:
                found.extend(d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict))
            except (yaml.YAMLError, UnicodeDecodeError):
                continue
    return [
        d for d in found if isinstance(d.get("apiVersion"), str) and isinstance(d.get("kind"), str)
    ]


DOCUMENTS = documents()


def mutations(document: dict[str, Any], seed: int) -> list[dict[str, Any]]:
    """Copies with one node replaced, removed or joined by an unknown field."""
    rng = random.Random(seed)
    nodes: list[tuple[Any, Any]] = []
    stack: list[Any] = [document]
    while stack:
        node = stack.pop()
        children = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
        for key, value in children:
            nodes.append((node, key))
            if isinstance(value, dict | list):
                stack.append(value)
    variants = []
    for _ in range(min(6, len(nodes))):
        copied = copy.deepcopy(document)
        parent, key = rng.choice(nodes)
        # find the same place in the copy
        path: list[Any] = []
        target = _locate(document, parent, path)
        if target is None:
            continue
        node = copied
        for step in path:
            node = node[step]
        choice = rng.randrange(5)
        if choice == 0 and isinstance(node, dict):
            node.pop(key, None)
        elif choice == 1:
            node[key] = rng.choice([None, True, 3, 2.5, "80", "x", [], {}, "TCP", "1Gb", -1])
        elif choice == 2 and isinstance(node, dict):
            node[rng.choice(["replica", "Spec", "imagePullPolicyy", "x"])] = 1
        elif choice == 3:
            node[key] = {"unknown": [1, {"deep": None}]}
        else:
            node[key] = [node[key]]
        variants.append(copied)
    return variants


def _locate(root: Any, wanted: Any, path: list[Any]) -> Any:
    if root is wanted:
        return root
    children = root.items() if isinstance(root, dict) else enumerate(root)
    for key, value in children:
        if isinstance(value, dict | list):
            path.append(key)
            if _locate(value, wanted, path) is not None:
                return value
            path.pop()
    return None


# make test compares every third document (with the same mutations: they are seeded by the
# document's index) on the newest version; make test-slow every document, on the oldest and the
# newest (each takes seconds)
QUICK_STEP = 3


@pytest.mark.parametrize(
    ("version", "step"),
    [
        pytest.param(supported_versions()[0], 1, marks=pytest.mark.slow),
        pytest.param(supported_versions()[-1], 1, marks=pytest.mark.slow),
        (supported_versions()[-1], QUICK_STEP),
    ],
)
def test_documents_and_mutations_match_jsonschema(version: str, step: int) -> None:
    validator = SchemaValidator.for_version(version)
    checked = 0
    for index, document in list(enumerate(DOCUMENTS))[::step]:
        for variant in [document, *mutations(document, index)]:
            assert ordered(validator.validate(variant)) == ordered(reference(validator, variant))
            checked += is_plain_tree(variant)  # (YAML aliases make shared nodes: not plain)
    assert checked > 50


@pytest.mark.parametrize("step", [QUICK_STEP, pytest.param(1, marks=pytest.mark.slow)])
def test_explain_matches_jsonschema_errors(step: int) -> None:
    """Where the fast check fails, the explanation is jsonschema's, error for error (every
    third document in make test, every one in make test-slow)."""
    validator = SchemaValidator.for_version("1.37")
    compared = 0
    for index, document in list(enumerate(DOCUMENTS))[::step]:
        key = (document["apiVersion"], document["kind"])
        if key not in validator._builtin.roots:
            continue
        for variant in mutations(document, index):
            if (variant.get("apiVersion"), variant.get("kind")) != key:
                continue
            if not is_plain_tree(variant):  # validate() explains plain trees only
                continue
            fast = validator._fast_for(key)
            if fast is None or fast(variant):
                continue
            mine = to_problems(list(explain(validator._builtin.roots[key], variant)))
            assert ordered(mine) == ordered(reference(validator, variant))
            compared += 1
    assert compared > 20


def _errors_or_raised(explain_errors: Any, *args: Any) -> Any:
    try:
        return [
            (e.validator, e.validator_value, e.instance, id(e.schema), e.absolute_path)
            for e in explain_errors(*args)
        ]
    except Unsupported as exc:
        return ("raised", str(exc))


@pytest.mark.parametrize("step", [QUICK_STEP, pytest.param(1, marks=pytest.mark.slow)])
def test_compiled_explanation_is_the_walks(step: int) -> None:
    """The compiled explanation of each kind yields the errors of the explaining walk (same
    keyword, value, instance, schema node and path, in the same order), or raises where it
    raises, on the corpus's documents and their mutations."""
    validator = SchemaValidator.for_version("1.37")
    compared = 0
    for index, document in list(enumerate(DOCUMENTS))[::step]:
        key = (document["apiVersion"], document["kind"])
        if key not in validator._builtin.roots:
            continue
        root = validator._builtin.roots[key]
        compiled = compile_explain(root, {})
        for variant in [document, *mutations(document, index)]:
            if not is_plain_tree(variant):
                continue
            walked = _errors_or_raised(explain, root, variant)
            assert _errors_or_raised(compiled, variant) == walked
            compared += 1
    assert compared > 50


def test_compiled_explanation_leaves_other_keywords_to_the_walk() -> None:
    negated = {"type": "object", "properties": {"a": {"not": {"required": ["b"]}}}}
    document = {"a": {"b": 1}}
    compiled = compile_explain(negated)
    assert [e.validator for e in compiled(document)] == ["not"]
    assert _errors_or_raised(compiled, document) == _errors_or_raised(explain, negated, document)
    explained = compile_explain({"properties": {"a": False, "b": {"type": "string"}}})
    assert [e.absolute_path for e in explained({"b": 1})] == [("b",)]
    with pytest.raises(Unsupported):
        explained({"a": 1})  # as the walk, which raises on a false schema it meets
    # a recursive schema (inlined $refs), nested past the walk's depth: both raise there
    recursive: dict[str, Any] = {"type": "object", "required": ["k"], "properties": {}}
    recursive["properties"]["x"] = recursive
    compiled = compile_explain(recursive)
    shallow: Any = {}
    for _ in range(5):
        shallow = {"x": shallow}
    assert _errors_or_raised(compiled, shallow) == _errors_or_raised(explain, recursive, shallow)
    assert len(compiled(shallow)) == 6
    deep: Any = {"k": 1}
    for _ in range(120):
        deep = {"x": deep, "k": 1}
    with pytest.raises(Unsupported):
        compiled(deep)
    with pytest.raises(Unsupported):
        list(explain(recursive, deep))


@settings(
    max_examples=examples(full=400, quick=100),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(KINDS),
    body=st.dictionaries(st.sampled_from(FIELD_NAMES), trees, max_size=5),
)
def test_random_documents_match_jsonschema(kind: tuple[str, str], body: dict[str, Any]) -> None:
    validator = SchemaValidator.for_version("1.37")
    document = {"apiVersion": kind[0], "kind": kind[1], **body}
    assert ordered(validator.validate(document)) == ordered(reference(validator, document))


def test_plain_tree() -> None:
    assert is_plain_tree({"a": [1, 2.5, True, None, "x", {"b": []}]})
    shared: list[Any] = [1]
    assert not is_plain_tree({"a": shared, "b": shared})
    assert not is_plain_tree({1: "a"})
    assert not is_plain_tree({"a": (1, 2)})
    assert not is_plain_tree({"a": b"x"})
    deep: Any = "leaf"
    for _ in range(600):
        deep = [deep]
    assert not is_plain_tree({"a": deep})


def test_every_builtin_kind_has_a_fast_check() -> None:
    for version in supported_versions():
        validator = SchemaValidator.for_version(version)
        for key in validator._builtin.roots:
            assert validator._fast_for(key) is not None, (version, key)


def test_compiled_explanation_keeps_the_schemas_order_of_properties() -> None:
    """The compiled explanation finds a mapping's properties from its own keys; it reports
    them in the schema's order, as the walk and jsonschema do, whatever order the keys are
    written in."""
    schema = {"properties": {name: {"type": "string"} for name in ("b", "d", "a", "c")}}
    document = {"c": 1, "x": 1, "a": 2, "d": 3}
    compiled = compile_explain(schema)
    assert [e.absolute_path for e in compiled(document)] == [("d",), ("a",), ("c",)]
    assert _errors_or_raised(compiled, document) == _errors_or_raised(explain, schema, document)


_NAMES = ("a", "b", "c")
_TYPE_NAMES = ("string", "integer", "number", "boolean", "object", "array", "null")


def _leaf_schemas() -> st.SearchStrategy[Any]:
    types = st.one_of(
        st.sampled_from(_TYPE_NAMES),
        st.lists(st.sampled_from(_TYPE_NAMES), min_size=1, max_size=3, unique=True),
    )
    return st.one_of(
        st.builds(lambda t: {"type": t}, types),
        st.builds(lambda t: {"type": t, "description": "d", "x-kubernetes-x": 1}, types),
        st.just({"type": "string", "enum": ["x", "y", None]}),
        st.just({"type": "integer", "format": "int32"}),
        # a type and other keywords in one step (lite._typed_steps), in any order
        st.just({"type": ["array", "null"], "items": {"type": "integer"}}),
        st.just({"enum": ["x", 1, True, 1.5], "type": ["string", "integer"], "maxLength": 1}),
        st.just({"minimum": 1, "type": "number", "maximum": 2}),
        st.just({"enum": ["x"], "type": "bogus"}),
        st.just(True),
    )


def _object_schema(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Object nodes as the built-in schemas have them (type, properties, required,
    additionalProperties, in any order), and a few that are not quite."""

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        parts: dict[str, Any] = {
            "type": draw(
                st.sampled_from(
                    ["object", ["object", "null"], ["null", "object"], "string", ["array", "null"]]
                )
            ),
            "properties": draw(st.dictionaries(st.sampled_from(_NAMES), children, max_size=3)),
            "required": draw(st.lists(st.sampled_from([*_NAMES, "z"]), max_size=2, unique=True)),
            "additionalProperties": draw(
                st.sampled_from([True, False, {"type": "string"}, {"type": ["integer", "null"]}])
            ),
            "description": "d",
        }
        kept = draw(st.lists(st.sampled_from(list(parts)), unique=True, min_size=1))
        return {keyword: parts[keyword] for keyword in kept}

    return build()


_SCHEMAS = st.recursive(_leaf_schemas(), _object_schema, max_leaves=6)
_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.sampled_from([1.0, 1.5])
    | st.text("xyz", max_size=2),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from([*_NAMES, "x"]), inner, max_size=4)
    ),
    max_leaves=8,
)


@settings(max_examples=examples(full=2000, quick=150), deadline=None)
@given(schema=_SCHEMAS, instance=_VALUES)
def test_compiled_object_nodes_explain_as_the_walk(schema: Any, instance: Any) -> None:
    """An object node explained in one step (and the leaves of types only that it does not
    call) gives the walk's errors in the walk's order, or raises as the walk does."""
    compiled = compile_explain(schema, {})
    assert _errors_or_raised(compiled, instance) == _errors_or_raised(explain, schema, instance)
    # and again, once every node met is compiled
    assert _errors_or_raised(compiled, instance) == _errors_or_raised(explain, schema, instance)


def test_a_nodes_properties_are_prepared_when_a_value_first_has_them() -> None:
    """A node's properties are prepared (their explainers made) when a value first has
    them, not when the node is compiled: the errors are the walk's all the same."""
    met, unmet = {"type": "integer"}, {"type": "object", "properties": {"c": {"type": "string"}}}
    for schema in (
        {"type": "object", "properties": {"a": met, "b": unmet}, "required": ["a"]},
        {"properties": {"a": met, "b": unmet}, "maxItems": 0},  # (not one step)
        {"properties": {"a": met, "b": unmet}, "maxLength": 1},
    ):
        memo: dict[int, Any] = {}
        compiled = compile_explain(schema, memo)
        for value in ({"a": "x", "z": 1}, {"a": 1}, {}, "s"):
            assert _errors_or_raised(compiled, value) == _errors_or_raised(explain, schema, value)
        assert id(met) in memo
        assert id(unmet) not in memo


def test_a_node_with_a_type_and_other_keywords_is_one_step() -> None:
    """A node with a type and other keywords is explained in one step, which passes a value
    of its types' exact classes to the others only: the errors are the walk's."""
    schema = {"type": "string", "enum": ["a", "bb"], "maxLength": 1}
    memo: dict[int, Any] = {}
    compiled = compile_explain(schema, memo)
    for value in ("c", "a", "bb", 1, True, None, 2.5, ["a"]):
        assert _errors_or_raised(compiled, value) == _errors_or_raised(explain, schema, value)
    assert _step_name(memo[id(schema)].run) == "typed_steps"
    single = {"type": "integer", "enum": [1]}
    compile_explain(single, memo)(2)
    assert _step_name(memo[id(single)].run) == "typed_one"


@pytest.mark.parametrize(
    "order",
    [
        ("properties", "required", "type", "additionalProperties"),
        ("additionalProperties", "type", "required", "properties"),
        ("required", "additionalProperties", "properties"),
    ],
)
def test_an_object_node_explained_in_one_step_keeps_the_keywords_order(
    order: tuple[str, ...],
) -> None:
    parts = {
        "type": ["object", "null"],
        "properties": {"a": {"type": "string"}, "b": {"type": "object", "required": ["c"]}},
        "required": ["z"],
        "additionalProperties": False,
    }
    schema = {keyword: parts[keyword] for keyword in order}
    document = {"x": 1, "b": {}, "a": 1}
    found = [e.validator for e in compile_explain(schema, {})(document)]
    walked = [e.validator for e in explain(schema, document)]
    assert found == walked
    assert sorted(walked) == ["additionalProperties", "required", "required", "type"]


@pytest.mark.parametrize(
    ("declared", "step"),
    [
        ("string", "string_enum"),
        (["string", "null"], "string_enum"),
        (["null", "integer", "string"], "string_enum"),
        (["string", "bogus"], "all_steps"),  # (a type that raises: keyword by keyword)
        (["integer", "null"], "typed_one"),
        ("integer", "typed_one"),
    ],
)
def test_an_enum_of_a_type_that_passes_strings_is_one_step(declared: Any, step: str) -> None:
    """A node of an enum and a type that passes every string (a nullable string's too) is the
    string enum's one step, a node of another type the general typed step: the walk's errors
    (or what it raises) either way."""
    schema = {"enum": ["a", "bb", 1, None], "type": declared}
    memo: dict[int, Any] = {}
    compiled = compile_explain(schema, memo)
    for value in ("c", "a", "bb", 1, 2, True, None, 2.5, 1.0, ["a"], {"a": 1}):
        assert _errors_or_raised(compiled, value) == _errors_or_raised(explain, schema, value)
    assert _step_name(memo[id(schema)].run) == step


@pytest.mark.parametrize(
    ("declared", "step"),
    [
        ("object", "typed_map"),
        (["object", "null"], "typed_map"),
        (["null", "string", "object"], "typed_map"),
        (["object", "bogus"], "all_steps"),  # (a type that raises: keyword by keyword)
        (["string", "null"], "typed_one"),
    ],
)
def test_a_typed_map_is_one_step(declared: Any, step: str) -> None:
    """A node of a type of mappings and additionalProperties a schema (labels, annotations)
    is one step, which explains a mapping's every key and passes the type's other values
    without a call: the walk's errors (or what it raises) either way."""
    schema = {"type": declared, "additionalProperties": {"type": "string", "maxLength": 2}}
    memo: dict[int, Any] = {}
    compiled = compile_explain(schema, memo)
    values: list[Any] = [{"a": "x", "b": 1, "c": "long"}, {}, {"a": None}, None, "s", 1, [1]]
    for value in values:
        assert _errors_or_raised(compiled, value) == _errors_or_raised(explain, schema, value)
    assert _step_name(memo[id(schema)].run) == step


@pytest.mark.parametrize(
    ("order", "step"),
    [
        (("type", "properties", "required", "additionalProperties"), "closed_node"),
        (("properties", "additionalProperties", "type"), "closed_node"),
        (("type", "properties", "additionalProperties"), "closed_node"),
        (("type", "required", "properties", "additionalProperties"), "object_node"),
        (("type", "properties", "additionalProperties", "required"), "object_node"),
        (("type", "properties", "required"), "object_node"),
    ],
)
def test_a_closed_object_node_of_the_usual_order_is_its_own_step(
    order: tuple[str, ...], step: str
) -> None:
    """A node of properties, required and additionalProperties false in that order (nearly
    every node of a built-in kind) is explained by the step made for that order, any other
    by the general one: the walk's errors in the walk's order either way."""
    parts = {
        "type": ["object", "null"],
        "properties": {"a": {"type": "string"}, "b": {"type": "object", "required": ["c"]}},
        "required": ["z", "a"],
        "additionalProperties": False,
    }
    schema = {keyword: parts[keyword] for keyword in order}
    memo: dict[int, Any] = {}
    compiled = compile_explain(schema, memo)
    for document in ({"x": 1, "b": {}, "a": 1}, {"a": "s", "z": 1}, {}, None, "s", [1]):
        assert _errors_or_raised(compiled, document) == _errors_or_raised(explain, schema, document)
    run = memo[id(schema)].run
    # (the closed node's step in C: partial(kpolicy._cload.closed_node, its data))
    assert _step_name(run) == step


TYPE_NAMES = st.sampled_from(["string", "integer", "number", "boolean", "object", "array", "null"])


@settings(max_examples=examples(full=1000, quick=200), deadline=None)
@given(
    types=st.one_of(TYPE_NAMES, st.lists(TYPE_NAMES, min_size=1, max_size=3)),
    value=st.one_of(
        st.sampled_from(["1000", " 3 ", "True", "false", "yes", "0777", "1.10", "x" * 70]),
        st.text(max_size=8),
        st.integers(),
        st.booleans(),
        st.none(),
        st.sampled_from([0.0, -0.0, 1.0, 1.5, float("nan"), 1e300]),
        st.sampled_from([[], [1], {}, {"a": 1}, (), {1}]),
    ),
)
def test_a_type_errors_message_kept_is_the_one_made(types: Any, value: Any) -> None:
    """The message of a type error on a short string, an int, a bool, null, a float, a
    mapping or a list is kept per expected types and value (its repr for a float, its class for
    a mapping or a list): the message kept (asked twice) is the one made for that value, and
    others are made."""
    from kpolicy.schema import explain as explained
    from kpolicy.schema.lite import LiteError

    error = LiteError("type", types, value, {"type": types}, ("a",))
    expected = explained._expected(types)
    made = explained._made_type_message(value, expected)
    first = explained._type_message(error, expected)
    again = explained._type_message(error, expected)
    assert first == again == made
    kept = (value.__class__ is str and len(value) <= 64) or value.__class__ in (
        int,
        bool,
        type(None),
        float,
        dict,
        list,
    )
    assert (again is first) == kept  # kept, not made again
    # and the message with the quote fix, kept together for the same values
    fields = explained._type_fields(error)
    assert fields == (made, explained._read_as_not_string(error, expected))
    assert (explained._type_fields(error) is fields) == kept


@settings(max_examples=examples(full=1000, quick=200), deadline=None)
@given(
    types=st.one_of(TYPE_NAMES, st.lists(TYPE_NAMES, min_size=1, max_size=3)),
    value=st.one_of(
        st.sampled_from(["1000", " 3 ", "True", "yes", "x" * 70]),
        st.text(max_size=8),
        st.integers(),
        st.booleans(),
        st.none(),
        st.sampled_from([0.0, -0.0, 1.5, [], {"a": 1}, ()]),
    ),
)
def test_a_type_errors_fields_looked_up_in_problem_fields_are_the_ones_made(
    types: Any, value: Any
) -> None:
    """problem_fields looks a kept type error's message and quote fix up itself (for a single
    type name): asked twice, they are those _type_fields makes for the error."""
    from kpolicy.schema import explain as explained
    from kpolicy.schema.lite import LiteError

    # (an item of a list: null there is a type error too, not a required field's)
    error = LiteError("type", types, value, {"type": types}, (0,), None, 3)
    made = explained._type_fields(error)
    for _ in range(2):
        assert explained.problem_fields([error], [1] * 4, None) == [
            ("schema-type-mismatch", (0,), "value", made[0], None, made[1], 3)
        ]
    # (null, rare there, is left to _type_fields)
    kept = (value.__class__ is str and len(value) <= 64) or value.__class__ in (
        int,
        bool,
        float,
        dict,
        list,
    )
    at = types if isinstance(types, str) else id(types)
    assert (made in explained._TYPE_FIELDS_OF.get(at, (None, {}))[1].values()) == kept


def _enum_message_made(values: list[Any], instance: Any) -> str:
    # the message as it was made for each error, before the parts an enum shares were kept
    from kpolicy.schema.problems import show

    allowed = [value for value in values if value not in ("", None)]
    message = f"{show(instance)} is not a supported value: " + ", ".join(
        str(value) for value in allowed
    )
    if isinstance(instance, str):
        for value in allowed:
            if isinstance(value, str) and value.lower() == instance.lower():
                return message + f" (did you mean {show(value)}?)"
    return message


@settings(max_examples=examples(full=1000, quick=200), deadline=None)
@given(
    values=st.lists(
        st.one_of(st.sampled_from(["", "Always", "ALWAYS", "always", "Never"]), st.none()),
        min_size=1,
        max_size=5,
    )
    | st.lists(st.one_of(st.text(max_size=3), st.integers(), st.booleans()), max_size=4),
    instance=st.one_of(st.sampled_from(["always", "ALWAYs", "never", "x"]), st.integers()),
)
def test_an_enum_errors_message_is_the_one_made(values: list[Any], instance: Any) -> None:
    """The parts of an enum error's message that every error of that enum shares (the values
    listed, the one a value differs from only in case) are kept by the list's identity: the
    message, asked twice and for a copy of the list, is the one made for each error."""
    from kpolicy.schema import explain as explained
    from kpolicy.schema.lite import LiteError

    for each in (values, list(values), values):
        error = LiteError("enum", each, instance, {"enum": each}, ())
        assert explained._enum_message(error) == _enum_message_made(each, instance)
    assert explained._ENUMS[id(values)][0] is values


def test_a_values_description_is_the_same_for_the_loaders_classes_and_others() -> None:
    """``describe`` tells a dict and a list by their class before the general tests; other
    mappings and sequences are described as before."""
    from collections import OrderedDict, UserDict

    from kpolicy.schema.problems import describe

    values: list[object] = [{}, {"a": 1}, OrderedDict(), UserDict(), [], [1], ()]
    values += [True, 3, 1.5, "x", None]
    assert [describe(value) for value in values] == [
        "a mapping",
        "a mapping",
        "a mapping",
        "a mapping",
        "a list",
        "a list",
        "tuple",
        "boolean true",
        "number 3",
        "number 1.5",
        'string "x"',
        "null",
    ]


def test_a_schema_key_that_is_not_text_makes_no_leaf_node() -> None:
    """A user's schema (a CRD's, a policy's) may have a key that is not text: the node is then
    checked as any other, not taken for a node of only ``type`` (nor does it raise)."""
    from kpolicy.schema.lite import _leaf_classes

    assert _leaf_classes({"type": "string", 1: "x"}) == ()
    assert _leaf_classes({"type": "string", "x-kubernetes-int-or-string": True}) != ()


class _Listed(list[Any]):
    """A list of another class than the loader's: never passed by an exact class."""


@pytest.mark.parametrize(
    ("schema", "step"),
    [
        ({"description": "d", "type": "string", "enum": ["a", "", None, 1]}, "string_enum"),
        ({"enum": ["a", "b"], "x-kubernetes-x": 1, "type": "string"}, "string_enum"),
        ({"type": "array", "items": {"type": "integer"}}, "items"),
        ({"items": {"type": "string", "enum": ["a"]}, "type": ["array", "null"]}, "items"),
        (
            {
                "type": ["null", "array"],
                "items": {"type": "object", "properties": {"a": {"type": "string"}}},
            },
            "items",
        ),
    ],
)
def test_a_typed_leaf_is_one_step_with_the_walks_errors(schema: dict[str, Any], step: str) -> None:
    """A node of type string and an enum, or of a type with array and items, is explained by
    one step of its own (``lite._typed_leaf``, without a call for each keyword), which finds
    the walk's errors in the walk's order, values of every class included (as the property
    tests below do on generated schemas)."""
    from kpolicy.schema import lite
    from kpolicy.schema.formats import FORMATS

    steps = lite._steps(schema, FORMATS, 100, {})
    assert [_step_name(each) for each in steps] == [step]
    compiled = compile_explain(schema, {})
    values: list[Any] = ["a", "b", "", "c", 1, 1.0, 2.5, True, None, {"a": 1}]
    values += [[], [1, "x", None, 2.0, ["a"], {"a": 2}], _Listed([1, "x"]), [[1]], ["a", "b"]]
    for value in values:
        assert _errors_or_raised(compiled, value) == _errors_or_raised(explain, schema, value)
    # and with the records of a position table: each item's record follows the previous
    # item's subtree ([1, "x", [2]]: the list, 1, "x", [2] and its 2)
    found = compiled([1, "x", [2]], [5, 1, 1, 2, 1], None, 0)
    assert found
    for error in found:
        if len(error.absolute_path) == 1:
            assert error.absolute_path[0] == error.record - 1
        else:
            assert error.record == (0 if not error.absolute_path else 4)


def test_other_typed_nodes_keep_their_steps() -> None:
    """A node of a type and an enum of another type, or of a type without array and items,
    is not a typed leaf: its steps stay as _typed_steps makes them."""
    from kpolicy.schema import lite
    from kpolicy.schema.formats import FORMATS

    for schema in (
        {"type": "integer", "enum": [1, 2]},
        {"type": ["integer", "null"], "enum": [1]},  # (a nullable string's is one: see above)
        {"type": "object", "items": {"type": "string"}},
        {"type": "string", "enum": ["a"], "maxLength": 3},
    ):
        steps = lite._steps(schema, FORMATS, 100, {})
        assert [_step_name(each) for each in steps] != ["string_enum"], schema
        assert len(steps) == 1 and _step_name(steps[0]) in ("typed_one", "typed_steps"), schema
    # a single type is tested by its exact classes, as int-or-string is
    assert [_step_name(each) for each in lite._steps({"type": "integer"}, FORMATS, 100, {})] == [
        "any_type"
    ]


class _CountedKey(str):
    """A key that counts how often it is hashed (each lookup of it in a mapping)."""

    hashed = 0

    def __hash__(self) -> int:
        _CountedKey.hashed += 1
        return str.__hash__(self)


@pytest.mark.parametrize(("closed_first", "lookups"), [(False, 3), (True, 5)])
def test_a_closed_object_node_tells_unknown_keys_from_its_properties_walk(
    closed_first: bool, lookups: int
) -> None:
    """An object node whose properties come before additionalProperties false (as in every
    built-in schema) knows its unknown keys from finding its properties: each key is looked up
    once (an unknown one twice, among those met and those named), not once more to compare
    the keys with the properties. After additionalProperties, the keys are compared. The
    errors are the walk's either way."""
    parts: list[tuple[str, Any]] = [
        ("type", "object"),
        ("properties", {"a": {"type": "string"}, "c": {}, "d": {}}),
        ("additionalProperties", False),
    ]
    if closed_first:
        parts.reverse()
    schema = dict(parts)
    compiled = compile_explain(schema, {})
    document = {_CountedKey("a"): 1, _CountedKey("b"): "y"}
    compiled(document)  # (compiles the nodes it meets)
    _CountedKey.hashed = 0
    found = compiled(document)
    assert _CountedKey.hashed == lookups
    # (in the schema's order of its keywords)
    assert sorted(e.validator for e in found) == ["additionalProperties", "type"]
    assert _errors_or_raised(compiled, document) == _errors_or_raised(explain, schema, document)
