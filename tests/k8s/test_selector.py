from __future__ import annotations

import dataclasses

import pytest

from kpolicy.k8s.selector import Operator, Requirement, Selector, labels_str


def _expr(key: str, operator: str, *values: str) -> dict[str, object]:
    expression: dict[str, object] = {"key": key, "operator": operator}
    if values:
        expression["values"] = list(values)
    return expression


@pytest.mark.parametrize(
    ("obj", "rendered"),
    [
        # TestLabelSelectorAsSelector
        (
            {
                "matchLabels": {"foo": "bar"},
                "matchExpressions": [_expr("baz", "In", "qux", "norf")],
            },
            "baz in (norf,qux),foo=bar",
        ),
        ({"matchLabels": {"app": "web"}}, "app=web"),
        (
            {"matchLabels": {"b": "2", "a": "1"}, "matchExpressions": [_expr("c", "Exists")]},
            "a=1,b=2,c",
        ),
        (
            {
                "matchExpressions": [
                    _expr("x", "DoesNotExist"),
                    _expr("tier", "In", "b", "a"),
                    _expr("env", "NotIn", "prod"),
                ]
            },
            "env notin (prod),tier in (a,b),!x",
        ),
        # a matchLabels entry sorts before an expression with the same key
        (
            {"matchLabels": {"app": "web"}, "matchExpressions": [_expr("app", "Exists")]},
            "app=web,app",
        ),
        ({"matchLabels": {"app": ""}}, "app="),
        ({"matchLabels": {"example.com/app": "Web_1"}}, "example.com/app=Web_1"),
        ({}, "<none>"),
        ({"matchLabels": {}, "matchExpressions": []}, "<none>"),
        ({"matchLabels": None, "matchExpressions": None}, "<none>"),
        # unknown fields are dropped by the API server
        ({"matchLabel": {"app": "web"}}, "<none>"),
    ],
)
def test_from_label_selector_renders_like_kubectl(obj: object, rendered: str) -> None:
    selector = Selector.from_label_selector(obj)
    assert selector is not None
    assert str(selector) == rendered


@pytest.mark.parametrize(
    "obj",
    [
        "app=web",
        ["app"],
        3,
        True,
        {"matchLabels": ["app"]},
        {"matchLabels": "app=web"},
        {"matchLabels": {"app": 1}},
        {"matchLabels": {"app": None}},
        {"matchLabels": {"app": ["web"]}},
        {"matchLabels": {1: "web"}},
        {"matchLabels": {"bad key": "web"}},
        {"matchLabels": {"app": "-web"}},
        {"matchLabels": {"app": "a" * 64}},
        {"matchExpressions": {"key": "a", "operator": "Exists"}},
        {"matchExpressions": [None]},
        {"matchExpressions": ["a"]},
        {"matchExpressions": [_expr("a", "Foo", "x")]},
        {"matchExpressions": [_expr("a", "in", "x")]},
        {"matchExpressions": [_expr("a", "Gt", "1")]},
        {"matchExpressions": [{"key": "a"}]},
        {"matchExpressions": [{"key": "a", "operator": 1}]},
        {"matchExpressions": [_expr("a", "In")]},
        {"matchExpressions": [_expr("a", "NotIn")]},
        {"matchExpressions": [_expr("a", "Exists", "x")]},
        {"matchExpressions": [_expr("a", "DoesNotExist", "x")]},
        {"matchExpressions": [{"key": "a", "operator": "In", "values": "x"}]},
        {"matchExpressions": [{"key": "a", "operator": "In", "values": [1]}]},
        {"matchExpressions": [{"key": "a", "operator": "In", "values": [None]}]},
        {"matchExpressions": [_expr("a", "In", "bad value")]},
        {"matchExpressions": [{"operator": "Exists"}]},
        {"matchExpressions": [{"key": None, "operator": "Exists"}]},
        {"matchExpressions": [{"key": ["a"], "operator": "Exists"}]},
        {"matchExpressions": [_expr("a/b/c", "Exists")]},
    ],
)
def test_from_label_selector_rejects(obj: object) -> None:
    assert Selector.from_label_selector(obj) is None


def test_null_label_selector_selects_nothing() -> None:
    selector = Selector.from_label_selector(None)
    assert selector == Selector.nothing()
    assert not selector.matches({})
    assert not selector.matches({"app": "web"})
    assert str(selector) == "<none>"
    assert not selector.is_empty


def test_empty_label_selector_selects_everything() -> None:
    selector = Selector.from_label_selector({})
    assert selector == Selector.everything()
    assert selector.is_empty
    assert selector.matches({})
    assert selector.matches({"anything": "at-all"})
    assert selector.matches(None)


WEB = {"matchLabels": {"app": "web"}}
TIER = {"matchExpressions": [_expr("tier", "In", "a", "b")]}
NOT_PROD = {"matchExpressions": [_expr("env", "NotIn", "prod")]}
HAS_X = {"matchExpressions": [_expr("x", "Exists")]}
NO_X = {"matchExpressions": [_expr("x", "DoesNotExist")]}
EMPTY_VALUE = {"matchLabels": {"x": ""}}


@pytest.mark.parametrize(
    ("obj", "labels", "expected"),
    [
        # TestRequirementSelectorMatching / TestSelectorMatches, as structured selectors
        (WEB, {"app": "web"}, True),
        (WEB, {"app": "web", "extra": "1"}, True),
        (WEB, {"app": "api"}, False),
        (WEB, {}, False),
        (WEB, {"App": "web"}, False),
        (TIER, {"tier": "a"}, True),
        (TIER, {"tier": "b"}, True),
        (TIER, {"tier": "c"}, False),
        (TIER, {}, False),
        (NOT_PROD, {"env": "dev"}, True),
        (NOT_PROD, {}, True),
        (NOT_PROD, {"env": "prod"}, False),
        (HAS_X, {"x": ""}, True),
        (HAS_X, {"y": "1"}, False),
        (NO_X, {"y": "1"}, True),
        (NO_X, {"x": ""}, False),
        (EMPTY_VALUE, {"x": ""}, True),
        (EMPTY_VALUE, {}, False),
        (EMPTY_VALUE, {"x": "1"}, False),
        (
            {"matchLabels": {"app": "web"}, "matchExpressions": [_expr("app", "In", "api")]},
            {"app": "web"},
            False,
        ),
        ({**WEB, **NOT_PROD}, {"app": "web", "env": "dev"}, True),
        ({**WEB, **NOT_PROD}, {"app": "web", "env": "prod"}, False),
        (WEB, None, False),
        (NOT_PROD, None, True),
    ],
)
def test_matches(obj: object, labels: dict[str, str] | None, expected: bool) -> None:
    selector = Selector.from_label_selector(obj)
    assert selector is not None
    assert selector.matches(labels) is expected


@pytest.mark.parametrize("obj", [None, {}])
def test_service_selector_empty_selects_nothing(obj: object) -> None:
    selector = Selector.from_map(obj)
    assert selector == Selector.nothing()
    assert not selector.matches({"app": "web"})
    assert not selector.matches({})


@pytest.mark.parametrize("obj", [None, {}])
def test_node_selector_empty_selects_everything(obj: object) -> None:
    selector = Selector.from_map(obj, empty_matches_all=True)
    assert selector == Selector.everything()
    assert selector.matches({"kubernetes.io/os": "linux"})


@pytest.mark.parametrize(
    ("obj", "labels", "expected", "rendered"),
    [
        ({"app": "web"}, {"app": "web", "pod-template-hash": "x"}, True, "app=web"),
        ({"app": "web", "tier": "fe"}, {"app": "web"}, False, "app=web,tier=fe"),
        ({"tier": "fe", "app": "web"}, {"app": "web", "tier": "fe"}, True, "app=web,tier=fe"),
    ],
)
def test_from_map(obj: object, labels: dict[str, str], expected: bool, rendered: str) -> None:
    selector = Selector.from_map(obj)
    assert selector is not None
    assert selector.matches(labels) is expected
    assert str(selector) == rendered


@pytest.mark.parametrize(
    "obj",
    ["app=web", ["app"], 1, {"app": 1}, {"app": None}, {1: "a"}, {"bad key": "a"}, {"a": "-"}],
)
def test_from_map_rejects(obj: object) -> None:
    assert Selector.from_map(obj) is None


@pytest.mark.parametrize(
    ("obj", "pairs"),
    [
        (WEB, {"app": "web"}),
        ({**WEB, **TIER}, {"app": "web"}),
        ({"matchExpressions": [_expr("tier", "In", "a")]}, {"tier": "a"}),
        ({**WEB, **HAS_X, **NOT_PROD}, {"app": "web"}),
        # the first requirement for a key decides (RequiresExactMatch)
        (
            {"matchLabels": {"app": "web"}, "matchExpressions": [_expr("app", "Exists")]},
            {"app": "web"},
        ),
        ({"matchExpressions": [_expr("app", "Exists"), _expr("app", "In", "web")]}, {}),
        ({}, {}),
        (None, {}),
    ],
)
def test_required_pairs(obj: object, pairs: dict[str, str]) -> None:
    selector = Selector.from_label_selector(obj)
    assert selector is not None
    assert selector.required_pairs() == pairs


def test_selector_is_frozen_and_hashable() -> None:
    selector = Selector.from_label_selector(WEB)
    assert selector is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        selector.selects_nothing = True  # type: ignore[misc]
    assert hash(selector) == hash(Selector.from_map({"app": "web"}))
    assert selector.requirements == (Requirement("app", Operator.EQUALS, ("web",)),)


@pytest.mark.parametrize(
    ("labels", "rendered"),
    [
        ({"b": "2", "a": "1"}, "a=1,b=2"),
        # labels.Set.String sorts the "key=value" strings: '-' sorts before '='
        ({"a": "1", "a-b": "2"}, "a-b=2,a=1"),
        ({"app": ""}, "app="),
        ({}, "<none>"),
        (None, "<none>"),
    ],
)
def test_labels_str(labels: dict[str, str] | None, rendered: str) -> None:
    assert labels_str(labels) == rendered
