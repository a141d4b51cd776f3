"""A built-in kind whose last documents all failed the fast check has its next ones explained at
once (``SchemaValidator._validate``): the same problems as the fast check then the explainer
give, a passing document among them gives none and turns the fast check back on, and where the
explainer raises the fast check and jsonschema decide as before."""

from __future__ import annotations

from typing import Any

from kpolicy.schema import SchemaValidator
from kpolicy.schema import validator as validator_module
from kpolicy.schema.explain import problem_fields
from tests.schema.test_fast_check import DOCUMENTS, mutations

KEY = ("apps/v1", "Deployment")


def _fresh() -> SchemaValidator:
    # a validator of its own (the shared one keeps what the other tests' documents did); its
    # compiled checks are the version's, shared
    return SchemaValidator("1.37")


class _Never(dict[Any, int]):
    """A count of failures in a row that never reaches the bound: the fast check always first."""

    def get(self, key: Any, default: Any = None) -> int:
        return 0


def _reference() -> SchemaValidator:
    validator = _fresh()
    validator._failing = _Never()
    return validator


def _counted(validator: SchemaValidator) -> list[int]:
    """Count the fast check's calls on the Deployments of ``validator``."""
    calls = [0]
    fast = validator._fast_for(KEY)
    assert fast is not None

    def counting(value: Any) -> bool:
        calls[0] += 1
        return fast(value)

    validator._builtin.fast[KEY] = counting
    return calls


def _deployment(replicas: object) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"a": "b"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"a": "b"}},
            "template": {
                "metadata": {"labels": {"a": "b"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
            },
        },
    }


def test_failing_documents_explained_at_once_then_checked_again() -> None:
    validator = _fresh()
    shared = _reference()
    state = validator._builtin
    calls = _counted(validator)
    try:
        bad = [_deployment(value) for value in ("2", 2.5, [1], {"x": 1}, "3", None)]
        expected = [shared.problem_fields(each, plain=True) for each in bad]
        assert all(expected[:5]) and expected[5] == []
        calls[0] = 0
        found = [validator.problem_fields(each, plain=True) for each in bad[:5]]
        assert found == expected[:5]
        # the first three went through the fast check, the others were explained at once
        assert calls[0] == validator_module._FAILED_BEFORE_EXPLAINING
        assert validator._failing[KEY] == validator_module._FAILED_BEFORE_EXPLAINING
        # a document that passes, explained at once: no problems, and the check is back
        assert validator.problem_fields(_deployment(3), plain=True) == []
        assert validator._failing[KEY] == 0
        before = calls[0]
        assert validator.problem_fields(bad[0], plain=True) == expected[0]
        assert calls[0] == before + 1
        # not said to be plain: never explained at once
        validator._failing[KEY] = 10
        before = calls[0]
        assert validator.problem_fields(bad[1]) == expected[1]
        assert calls[0] == before + 1
    finally:
        state.fast.pop(KEY, None)


def test_explainer_raising_leaves_the_fast_check_and_jsonschema_to_decide() -> None:
    validator = _fresh()
    # nested past what the explainer follows (kpolicy.schema.explain.EXPLAIN_DEPTH)
    deep: Any = "x"
    for _ in range(120):
        deep = {"a": deep}
    document = _deployment("2")
    document["metadata"]["annotations"] = {"k": 1}
    document["spec"]["template"]["metadata"]["x"] = deep
    shared = _reference()
    expected = shared.problem_fields(document, plain=True)
    assert expected
    validator._failing[KEY] = 10
    assert validator.problem_fields(document, plain=True) == expected
    passing = _deployment(3)
    passing["metadata"]["annotations"] = {"k": "v"}
    validator._failing[KEY] = 10
    assert validator.problem_fields(passing, plain=True) == []


def test_documents_explained_at_once_as_after_the_fast_check() -> None:
    """Every fixture and corpus document and its mutations, in their order (each kind's
    documents failing in a row), with a validator explaining at once: the same problems as the
    fast check then the explainer give, each document's records included."""
    validator = _fresh()
    shared = _reference()
    at_once = 0
    for index, document in list(enumerate(DOCUMENTS))[::2]:
        for variant in [document, *mutations(document, index)]:
            key = (variant.get("apiVersion"), variant.get("kind"))
            if not all(isinstance(part, str) for part in key):
                continue
            failing = validator._failing.get(key, 0)
            at_once += failing >= validator_module._FAILED_BEFORE_EXPLAINING
            found = validator.problem_fields(variant, plain=True)
            assert found == shared.problem_fields(variant, plain=True)
    assert at_once > 0


def test_problem_fields_of_the_explainer_are_the_validators() -> None:
    validator = _fresh()
    document = _deployment("2")
    errors = validator._explainer_for(KEY)(document)
    assert validator.problem_fields(document, plain=True) == problem_fields(errors)
