"""The problems of a failing document made as the validator makes them
(``explain.explained_fields``: a type error's problem made where the compiled explainer finds
it) are those that ``problem_fields`` makes of the explainer's errors: the same problems in the
same order, with the same records, on every fixture and corpus document and their mutations,
on generated documents, and on loaded documents with their position tables."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpolicy.load import load_text
from kpolicy.model import SourceFile
from kpolicy.schema import SchemaValidator, supported_versions
from kpolicy.schema.explain import explained_fields, problem_fields
from kpolicy.schema.lite import LiteError
from tests.helpers import examples
from tests.schema.test_fast_check import DOCUMENTS, mutations
from tests.schema.test_hostile import FIELD_NAMES, KINDS, trees


def _general(explainer: Any, instance: Any, *places: Any) -> list[Any]:
    errors = explainer(instance, *places)
    assert all(isinstance(error, LiteError) for error in errors)
    return problem_fields(errors, *places[:2])


def _compare(validator: SchemaValidator, document: Any, *places: Any) -> int:
    """The two ways agree on ``document``; the number of type errors made directly."""
    key = (document.get("apiVersion"), document.get("kind"))
    if not all(isinstance(part, str) for part in key) or not validator.is_builtin(*key):
        return 0
    explainer = validator._explainer_for(key)
    fast = validator._fast_for(key)
    assert fast is not None
    if fast(document):
        assert explained_fields(explainer, document, *places) == []
        return 0
    expected = _general(explainer, document, *places)
    assert explained_fields(explainer, document, *places) == expected
    assert validator.problem_fields(document, plain=True, places=places or None) == expected
    # the errors the explainer gives instead when asked for the type problems
    given = places if places else (None, None, -1)
    return sum(error.__class__ is tuple for error in explainer(document, *given, _made))


def _made(raw: Any, value: Any, path: Any, record: int) -> tuple[Any, ...]:
    # shaped as a problem's fields (rule, path, anchor, message, rename, quote, record)
    return ("made", path, "value", repr(raw), None, False, record)


def test_documents_and_mutations_explained_alike() -> None:
    # every document on the newest version, every third on the oldest
    made = 0
    for version, step in ((supported_versions()[0], 3), (supported_versions()[-1], 1)):
        validator = SchemaValidator.for_version(version)
        for index, document in list(enumerate(DOCUMENTS))[::step]:
            for variant in [document, *mutations(document, index)]:
                made += _compare(validator, variant)
    assert made > 0, "the type problems are made by the explainer"


def test_loaded_documents_explained_alike_with_their_records() -> None:
    validator = SchemaValidator.for_version(supported_versions()[-1])
    made = 0
    for index, document in list(enumerate(DOCUMENTS))[::5]:
        for variant in [document, *mutations(document, index)]:
            text = yaml.safe_dump(variant, sort_keys=False)
            for obj in load_text(SourceFile("t.yaml", text)).objects:
                if not obj.plain or obj.data.__class__ is not dict:
                    continue
                table = obj.positions
                record = table.record_at(obj.base, obj.data)
                if record < 0:
                    continue
                made += _compare(validator, obj.data, table.sizes(), table.irregular, record)
    assert made > 0


@settings(
    max_examples=examples(full=400, quick=100),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(KINDS),
    body=st.dictionaries(st.sampled_from(FIELD_NAMES), trees, max_size=5),
)
def test_random_documents_explained_alike(kind: tuple[str, str], body: dict[str, Any]) -> None:
    validator = SchemaValidator.for_version(supported_versions()[-1])
    _compare(validator, {"apiVersion": kind[0], "kind": kind[1], **body})


def test_a_type_nodes_problems_kept_by_value() -> None:
    """A type node makes the problem of a value it kept without asking again: the same
    fields, at each value's own path and record; asked by another maker, it asks again."""
    validator = SchemaValidator.for_version(supported_versions()[-1])
    key = ("v1", "ConfigMap")
    explainer = validator._explainer_for(key)
    document = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "x",
            "labels": {"a": 1, "b": 1, "c": True, "d": 1, "e": 2.5, "f": 0.0, "g": -0.0, "h": 2.5},
        },
    }
    asked: list[Any] = []

    def counting(raw: Any, value: Any, path: Any, record: int) -> tuple[Any, ...]:
        asked.append(value)
        return _made(raw, value, path, record)

    found = explainer(document, None, None, -1, counting)
    names = "abcdefgh"
    assert [problem[1] for problem in found] == [("metadata", "labels", name) for name in names]
    # 1 once, then kept; a float kept by its repr (0.0 and -0.0 are equal, and shown apart)
    assert [repr(value) for value in asked] == ["1", "True", "2.5", "0.0", "-0.0"]
    assert found[0][3] == found[1][3] == found[3][3]
    asked.clear()
    assert explainer(document, None, None, -1, counting) == found
    assert asked == []  # all kept
    # another maker: its own problems, made again (explain's: 0.0 and -0.0 shown apart)
    made = explained_fields(explainer, document)
    assert made == _general(explainer, document)
    assert "got number 0.0:" in made[5][3] and "got number -0.0:" in made[6][3]
    assert explained_fields(explainer, document) == made
    asked.clear()
    assert explainer(document, None, None, -1, counting) == found
    assert [repr(value) for value in asked] == ["1", "True", "2.5", "0.0", "-0.0"]


def test_a_type_nodes_kept_problems_stay_within_their_bound() -> None:
    """The language server keeps one process across edits: a type node keeps at most
    ``_TYPED_KEPT`` values' problems, emptied when full (a value kept before is asked again),
    and what it makes after that is what it made before."""
    from kpolicy.schema.lite import _TYPED_KEPT

    validator = SchemaValidator.for_version(supported_versions()[-1])
    explainer = validator._explainer_for(("v1", "ConfigMap"))

    def labelled(labels: dict[str, Any]) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "x", "labels": labels},
        }

    asked: list[Any] = []

    def counting(raw: Any, value: Any, path: Any, record: int) -> tuple[Any, ...]:
        asked.append(value)
        return _made(raw, value, path, record)

    first = explainer(labelled({"a": 0}), None, None, -1, counting)
    assert asked == [0]
    many = labelled({f"k{n}": n for n in range(_TYPED_KEPT + 1)})
    explainer(many, None, None, -1, counting)
    assert asked == [0, *range(1, _TYPED_KEPT + 1)]  # 0 kept; each other value once
    asked.clear()
    assert explainer(labelled({"a": 0}), None, None, -1, counting) == first
    assert asked == [0]  # emptied when full: asked again
