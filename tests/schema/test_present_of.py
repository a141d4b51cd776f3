"""An object node's properties loop (``lite._present_of``, and ``lite._explain_present``, which
explains what it finds) and its C twins (``kpolicy._cload.present_of`` and ``explain_present``,
which the explainer takes where the extension is built): the same list, the same ``unknown``,
the same calls of ``sub_of`` and of the properties' explainers in the same order, the same
exceptions; and the explainer's errors are the same with either."""

from __future__ import annotations

import array
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpolicy.load import load_text
from kpolicy.model import SourceFile
from kpolicy.schema import SchemaValidator, lite, supported_versions
from kpolicy.schema.explain import EXPLAIN_DEPTH
from kpolicy.schema.formats import FORMATS
from tests.helpers import examples
from tests.schema.test_fast_check import DOCUMENTS, mutations
from tests.schema.test_hostile import FIELD_NAMES, trees

ROOT = Path(__file__).resolve().parents[2]
BUILT = sorted((ROOT / "kpolicy").glob("_cload*.so")) + sorted(
    (ROOT / "kpolicy").glob("_cload*.pyd")
)


def _c_present_of() -> Any:
    if not BUILT:
        pytest.skip("kpolicy/_cload*.so is not built (the install found no C compiler)")
    import kpolicy._cload as built  # type: ignore[import-not-found,unused-ignore]

    return built.present_of


def _c_explain_present() -> Any:
    _c_present_of()
    import kpolicy._cload as built  # type: ignore[import-not-found,unused-ignore]

    return built.explain_present


def _c_explain_children() -> Any:
    _c_present_of()
    import kpolicy._cload as built  # type: ignore[import-not-found,unused-ignore]

    return built.explain_children


def test_the_explainer_takes_the_c_loop_where_it_is_built() -> None:
    if os.environ.get("KPOLICY_PURE_PYTHON"):
        pytest.skip("KPOLICY_PURE_PYTHON is set: the C extension is off by request")
    assert lite.explain_present is _c_explain_present()
    assert lite.explain_children is _c_explain_children()


def test_without_the_extension_the_python_loop_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPOLICY_PURE_PYTHON", "1")
    assert lite._compiled("present_of", lite._present_of) is lite._present_of
    assert lite._compiled("explain_present", lite._explain_present) is lite._explain_present
    assert lite._compiled("explain_children", lite._explain_children) is lite._explain_children


# the properties of a Pod's container (a few dozen, with leaves of types only and others)
_CONTAINER = {
    "name": {"type": "string"},
    "image": {"type": "string"},
    "args": {"type": "array", "items": {"type": "string"}},
    "ports": {"type": "array", "items": {"type": "object", "properties": {}}},
    "tty": {"type": "boolean"},
    "stdin": {"type": ["boolean", "null"]},
    "imagePullPolicy": {"type": "string", "enum": ["Always", "Never", "IfNotPresent"]},
    "resources": {"type": "object", "properties": {"limits": {"type": "object"}}},
    "workingDir": {"type": "string", "format": "int-or-string"},
    "replicas": {"type": "integer"},
}


def _run(present_of: Any, instance: Any, shallow: bool, sizes: Any, child: int) -> Any:
    """``present_of``'s answer (or exception) on fresh properties, with the calls of sub_of."""
    subs, sub_of = lite._properties_met(_CONTAINER, FORMATS, EXPLAIN_DEPTH, {})
    calls: list[Any] = []

    def counted(name: Any) -> Any:
        calls.append(name)
        if name == "boom":
            raise KeyError("boom")
        return sub_of(name)

    # a property met before is found without a call
    counted("image")
    try:
        present, unknown = present_of(instance, subs, counted, shallow, sizes, child)
    except Exception as exc:
        return ("raised", type(exc), calls)
    # the explainers are made once a schema node (memo): told apart by their node's place
    shown = [(place, name, record, item) for place, _, name, record, item in present]
    assert all(entry[1] is subs[entry[2]][1] for entry in present)
    return (shown, unknown, calls, sorted(subs))


class _Text(str):
    """A string of a class of its own (not a leaf's class: always listed)."""


_KEYS = st.sampled_from([*_CONTAINER, "unknownKey", "Image", 7, "boom"])
_VALUES = st.one_of(
    trees,
    st.builds(_Text, st.text(max_size=3)),
    st.floats(allow_nan=False),
)


@settings(
    max_examples=examples(full=500, quick=150),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    instance=st.dictionaries(_KEYS, _VALUES, max_size=8),
    shallow=st.booleans(),
    sizes=st.lists(st.integers(1, 3), max_size=12),
    typecode=st.sampled_from(["H", "i", "list"]),
    child=st.integers(-1, 3),
)
def test_the_c_loop_is_the_python_loop(
    instance: dict[Any, Any], shallow: bool, sizes: list[int], typecode: str, child: int
) -> None:
    c_present_of = _c_present_of()
    table: Any = sizes if typecode == "list" else array.array(typecode, sizes)
    expected = _run(lite._present_of, instance, shallow, table, child)
    assert _run(c_present_of, instance, shallow, table, child) == expected


def test_records_follow_each_subtree_and_a_table_too_short_raises_alike() -> None:
    c_present_of = _c_present_of()
    instance = {"replicas": "3", "name": 1, "tty": True, "image": None, "other": 1}
    for sizes in ([1, 3, 1, 1, 1, 1, 1, 1], [1, 1, 1], array.array("H", [1, 2, 1, 1, 1, 1])):
        for shallow in (True, False):
            expected = _run(lite._present_of, instance, shallow, sizes, 1)
            assert _run(c_present_of, instance, shallow, sizes, 1) == expected
    shown, unknown, _, _ = _run(c_present_of, instance, False, [1, 3, 1, 1, 1, 1, 1, 1], 1)
    assert unknown
    # sorted by place among the properties; the keys' records 1, 4, 5, 6 (the first key's
    # subtree is 3 records)
    assert [(name, record) for _, name, record, _ in shown] == [
        ("name", 4),
        ("image", 6),
        ("tty", 5),
        ("replicas", 1),
    ]
    assert _run(c_present_of, instance, False, [1, 1, 1], 1)[:2] == ("raised", IndexError)


def _errors(explainer: Any, document: Any, places: tuple[Any, ...]) -> list[Any]:
    return [
        (error.validator, error.absolute_path, error.record, repr(error.instance))
        if isinstance(error, lite.LiteError)
        else error
        for error in explainer(document, *places)
    ]


def test_documents_explained_alike_with_either_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    c_explain_present = _c_explain_present()
    c_explain_children = _c_explain_children()
    validator = SchemaValidator.for_version(supported_versions()[-1])
    compared = 0
    for index, document in list(enumerate(DOCUMENTS))[::6]:
        for variant in [document, *mutations(document, index)]:
            text = yaml.safe_dump(variant, sort_keys=False)
            for obj in load_text(SourceFile("t.yaml", text)).objects:
                api_version, kind = obj.data.get("apiVersion"), obj.data.get("kind")
                if not isinstance(api_version, str) or not isinstance(kind, str):
                    continue
                key = (api_version, kind)
                if not obj.plain or not validator.is_builtin(*key):
                    continue
                table = obj.positions
                record = table.record_at(obj.base, obj.data)
                places = (table.sizes(), table.irregular, record) if record >= 0 else ()
                explainer = validator._explainer_for(key)
                monkeypatch.setattr(lite, "explain_present", lite._explain_present)
                monkeypatch.setattr(lite, "explain_children", lite._explain_children)
                expected = _errors(explainer, obj.data, places)
                monkeypatch.setattr(lite, "explain_present", c_explain_present)
                monkeypatch.setattr(lite, "explain_children", c_explain_children)
                assert _errors(explainer, obj.data, places) == expected
                compared += bool(expected)
    assert compared > 0, "documents with errors were compared"


@settings(
    max_examples=examples(full=300, quick=100),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(body=st.dictionaries(st.sampled_from(FIELD_NAMES), trees, max_size=5))
def test_random_documents_explained_alike_with_either_loop(body: dict[str, Any]) -> None:
    c_explain_present = _c_explain_present()
    c_explain_children = _c_explain_children()
    validator = SchemaValidator.for_version(supported_versions()[-1])
    document = {"apiVersion": "apps/v1", "kind": "Deployment", **body}
    explainer = validator._explainer_for(("apps/v1", "Deployment"))
    saved = lite.explain_present, lite.explain_children
    try:
        lite.explain_present, lite.explain_children = lite._explain_present, lite._explain_children
        expected = _errors(explainer, document, ())
        lite.explain_present, lite.explain_children = c_explain_present, c_explain_children
        assert _errors(explainer, document, ()) == expected
    finally:
        lite.explain_present, lite.explain_children = saved


class _Logged:
    """A property's explainer that logs its calls (and raises on a value of "raise")."""

    def __init__(self, log: list[Any], tag: str) -> None:
        self.log, self.tag = log, tag

    def run(self, value: Any, path: Any, record: int, out: Any) -> None:
        self._called("run", value, path, record, out)

    def checked(self, value: Any, path: Any, record: int, out: Any) -> None:
        self._called("checked", value, path, record, out)

    def _called(self, how: str, value: Any, path: Any, record: int, out: Any) -> None:
        assert type(path) is tuple
        self.log.append((self.tag, how, value, path, record, out is _OUT))
        if value == "raise":
            raise ValueError(self.tag)


_OUT = object()


def _explained(explain_present: Any, instance: Any, shallow: bool, path: Any) -> Any:
    log: list[Any] = []
    subs: dict[str, Any] = {
        name: (place, _Logged(log, name), (bool,) if name == "flag" else ())
        for place, name in enumerate(["z", "flag", "a", "m"])
    }

    def sub_of(name: Any) -> Any:
        log.append(("sub_of", name))
        return None

    try:
        unknown = explain_present(instance, subs, sub_of, shallow, [1] * 12, 1, path, _OUT)
    except ValueError as exc:
        return ("raised", str(exc), log)
    return (unknown, log)


@pytest.mark.parametrize("shallow", [True, False])
@pytest.mark.parametrize("path", [(), ("spec", 0, "containers")])
def test_the_c_explain_present_calls_what_the_python_one_calls(
    shallow: bool, path: tuple[Any, ...]
) -> None:
    c_explain_present = _c_explain_present()
    for instance in [
        {},
        {"m": 1, "a": [2], "z": {"x": 1}},
        {"a": 1, "other": 2, "flag": True, "z": "s"},
        {"flag": "yes", "m": "raise", "a": 3, "q": None},
    ]:
        expected = _explained(lite._explain_present, instance, shallow, path)
        assert _explained(c_explain_present, instance, shallow, path) == expected
    # (in the schema's order, each at its path; the one that raised is the last called)
    unknown, log = _explained(c_explain_present, {"m": 1, "z": 2, "k": 3}, shallow, path)
    how = "run" if shallow else "checked"
    assert unknown is True
    assert log == [
        ("sub_of", "k"),
        ("z", how, 2, (*path, "z"), 2, True),
        ("m", how, 1, (*path, "m"), 1, True),
    ]


def _children(explain: Any, instance: Any, known: Any, sizes: Any, child: int) -> Any:
    log: list[Any] = []
    run = _Logged(log, "run").run
    try:
        explain(instance, run, frozenset({bool, int}), known, ("a", 1), sizes, child, _OUT)
    except (ValueError, IndexError) as exc:
        return ("raised", type(exc), log)
    return log


@settings(
    max_examples=examples(full=400, quick=120),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    instance=st.one_of(
        st.lists(st.one_of(trees, st.just("raise")), max_size=6),
        st.dictionaries(_KEYS, st.one_of(trees, st.just("raise")), max_size=6),
    ),
    known=st.sampled_from([None, frozenset({"image", "name", 7}), {"tty": 1}.keys()]),
    sizes=st.lists(st.integers(1, 3), max_size=14),
    typecode=st.sampled_from(["H", "i", "list"]),
    child=st.integers(-1, 3),
)
def test_the_c_children_loop_calls_what_the_python_one_calls(
    instance: Any, known: Any, sizes: list[int], typecode: str, child: int
) -> None:
    c_explain_children = _c_explain_children()
    table: Any = sizes if typecode == "list" else array.array(typecode, sizes)
    known_here = None if isinstance(instance, list) else known
    expected = _children(lite._explain_children, instance, known_here, table, child)
    assert _children(c_explain_children, instance, known_here, table, child) == expected


def test_the_c_children_loop_takes_only_a_list_or_a_dict() -> None:
    c_explain_children = _c_explain_children()

    class Items(list[Any]):
        pass

    with pytest.raises(TypeError):
        _children(c_explain_children, Items([1]), None, None, -1)
    # (the explainer's items and _extra take the Python loop for another class)
    assert _children(lite._explain_children, Items(["x", 1]), None, None, -1) == [
        ("run", "run", "x", ("a", 1, 0), -1, True)
    ]


def test_closed_nodes_explained_alike_in_c_and_in_python(monkeypatch: pytest.MonkeyPatch) -> None:
    """A closed object node's step (properties, required, additionalProperties false: nearly
    every node of a built-in kind) is kpolicy._cload.closed_node where the extension is built:
    the errors of the Python step, in its order, for the documents and their mutations (and
    the C step is the one compiled)."""
    if lite._C_CLOSED_NODE is None:
        pytest.skip("the C extension is not built")
    validator = SchemaValidator.for_version(supported_versions()[-1])
    roots: Any = validator._builtin.roots
    in_c: dict[Any, Any] = {}
    in_python: dict[Any, Any] = {}
    compared = 0
    for index, document in list(enumerate(DOCUMENTS))[::3]:
        for variant in [document, *mutations(document, index)]:
            text = yaml.safe_dump(variant, sort_keys=False)
            for obj in load_text(SourceFile("t.yaml", text)).objects:
                key = (obj.data.get("apiVersion"), obj.data.get("kind"))
                if key not in roots:
                    continue
                if key not in in_c:
                    memo: dict[int, Any] = {}
                    in_c[key] = (
                        lite.compile_explainer(roots[key], FORMATS, EXPLAIN_DEPTH, memo),
                        memo,
                    )
                    with monkeypatch.context() as patched:
                        patched.setattr(lite, "_C_CLOSED_NODE", None)
                        in_python[key] = lite.compile_explainer(
                            roots[key], FORMATS, EXPLAIN_DEPTH, {}
                        )
                table = obj.positions
                record = table.record_at(obj.base, obj.data)
                places = (table.sizes(), table.irregular, record) if record >= 0 else ()
                expected = _errors(in_python[key], obj.data, places)
                assert _errors(in_c[key][0], obj.data, places) == expected
                compared += bool(expected)
    assert compared > 0, "documents with errors were compared"
    steps = [node.run for memo in (made[1] for made in in_c.values()) for node in memo.values()]
    assert any(getattr(run, "func", None) is lite._C_CLOSED_NODE for run in steps)
