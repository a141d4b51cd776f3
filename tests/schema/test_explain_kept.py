"""What the explanation keeps between errors (kpolicy.schema.explain): an answer kept for an
error is the answer made for it afresh, and depends on nothing it was not kept by."""

from __future__ import annotations

from typing import Any

from kpolicy.schema import explain
from kpolicy.schema.explain import problem_fields
from kpolicy.schema.lite import LiteError

PROPERTIES: dict[str, Any] = {
    name: {"type": "string"} for name in ("image", "imagePullPolicy", "name", "command", "args")
}
SCHEMA: dict[str, Any] = {"type": "object", "properties": PROPERTIES, "additionalProperties": False}


def _unknown(instance: dict[str, Any], schema: dict[str, Any] = SCHEMA) -> list[Any]:
    error = LiteError("additionalProperties", False, instance, schema, ("spec",))
    return problem_fields([error])


def test_unknown_field_kept_is_made_afresh() -> None:
    instances: list[dict[str, Any]] = [
        {"imge": "x", "nme": "a"},  # a clear rename each
        {"imge": "x", "image": "y"},  # the suggested field is there: no rename
        {"IMAGE": "x"},  # by case
        {"image_pull_policy": 1},  # by - and _
        {"zzz": 1, "command": []},  # no suggestion
        {"comand": 1, "args": 2},
    ]
    explain._UNKNOWN.clear()
    afresh = []
    for instance in instances:
        afresh.append(_unknown(instance))
        explain._UNKNOWN.clear()
    # made once, then kept: the same answers, in any order
    kept = [_unknown(instance) for instance in instances]
    again = [_unknown(instance) for instance in reversed(instances)][::-1]
    assert kept == afresh == again
    assert explain._UNKNOWN, "the answers are kept"
    assert afresh[0][0][3] == 'unknown field "imge", did you mean "image"?'
    assert afresh[0][0][4] == "image"
    assert afresh[1][0][4] is None  # "image" is there already


def test_unknown_field_kept_by_its_properties() -> None:
    # the same key against other properties: answered for those
    other = {"type": "object", "properties": {"imgae": {}}, "additionalProperties": False}
    explain._UNKNOWN.clear()
    first = _unknown({"imge": 1})
    second = _unknown({"imge": 1}, other)
    assert first[0][4] == "image"
    assert second[0][4] == "imgae"
    # two properties as close: no clear rename, and that is kept too
    close = {"type": "object", "properties": {"imagea": {}, "imageb": {}}}
    assert _unknown({"image": 1}, close)[0][4] is None
    assert _unknown({"image": 1}, close)[0][4] is None


def test_unknown_fields_kept_stay_within_their_bound() -> None:
    """The language server keeps one process across edits: the kept answers for unknown
    keys are emptied when full, and an answer made after that is still made afresh."""
    explain._UNKNOWN.clear()
    for count in range(explain._MESSAGES_KEPT + 1):
        _unknown({f"unknown{count}": 1})
        assert len(explain._UNKNOWN) <= explain._MESSAGES_KEPT
    assert len(explain._UNKNOWN) == 1
    assert _unknown({"imge": 1})[0][3] == 'unknown field "imge", did you mean "image"?'
    explain._UNKNOWN.clear()
