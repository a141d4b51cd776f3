from __future__ import annotations

import pytest

from kpolicy.k8s import intstr


@pytest.mark.parametrize(
    ("value", "total", "round_up", "expected"),
    [
        # cases of TestGetScaledValueFromIntOrPercent
        (123, 100, False, 123),
        ("90%", 100, True, 90),
        ("90%", 95, True, 86),
        ("90%", 95, False, 85),
        # integers are never scaled nor clamped
        (0, 10, True, 0),
        (-3, 10, True, -3),
        (2.0, 10, True, 2),
        ("0%", 10, True, 0),
        ("1%", 10, True, 1),
        ("1%", 10, False, 0),
        ("25%", 10, True, 3),
        ("25%", 10, False, 2),
        ("100%", 7, False, 7),
        ("150%", 4, True, 6),
        ("025%", 8, False, 2),
        # strconv.Atoi takes a sign: the controller scales these, validation refuses them
        ("+50%", 4, False, 2),
        ("-5%", 10, True, 0),
        ("-5%", 10, False, -1),
        ("50%", 0, True, 0),
    ],
)
def test_scaled_value(value: object, total: int, round_up: bool, expected: int) -> None:
    assert intstr.scaled_value(value, total, round_up) == expected


@pytest.mark.parametrize(
    "value",
    [
        "%",
        "90#",
        "#%",
        "90",
        "abc",
        "",
        "5.5%",
        " 5%",
        "5 %",
        "1_0%",
        "5%%",
        "٣%",  # a non-ASCII digit
        None,
        True,
        False,
        2.5,
        float("nan"),
        [],
        {"a": 1},
        2**31,
        "99999999999999999999%",
    ],
)
def test_scaled_value_rejects(value: object) -> None:
    with pytest.raises(ValueError, match="invalid int-or-percent value"):
        intstr.scaled_value(value, 10, True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("25%", True),
        ("-5%", True),
        ("0%", True),
        ("25", False),
        ("abc%", False),
        (25, False),
        (None, False),
        (["25%"], False),
    ],
)
def test_is_percent(value: object, expected: bool) -> None:
    assert intstr.is_percent(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("25%", 25),
        ("0%", 0),
        ("150%", 150),
        ("-5%", None),
        ("+5%", None),
        ("25", None),
        (25, None),
        (None, None),
        ({}, None),
    ],
)
def test_percent_value(value: object, expected: int | None) -> None:
    assert intstr.percent_value(value) == expected


@pytest.mark.parametrize("value", [0, 1, 5, "0%", "5%", "100%", "250%", 3.0])
def test_validate_int_or_percent_accepts(value: object) -> None:
    assert intstr.validate_int_or_percent(value) == []


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (-1, "greater than or equal to 0"),
        ("-5%", "'-5%'"),
        ("+5%", "'+5%'"),
        ("25", "'25'"),
        ("abc", "'abc'"),
        ("", "''"),
        ("5.5%", "'5.5%'"),
        (None, "none"),
        (True, "true"),
        (1.5, "1.5"),
        (["5%"], "list"),
        ({"x": 1}, "dict"),
        (2**40, "integer or a percentage"),
    ],
)
def test_validate_int_or_percent_rejects(value: object, fragment: str) -> None:
    errors = intstr.validate_int_or_percent(value)
    assert len(errors) == 1
    assert fragment in errors[0].lower()


@pytest.mark.parametrize(
    ("value", "errors"),
    [("100%", 0), ("101%", 1), (101, 0), ("abc", 0), (None, 0)],
)
def test_is_not_more_than_100_percent(value: object, errors: int) -> None:
    assert len(intstr.is_not_more_than_100_percent(value)) == errors


@pytest.mark.parametrize(
    ("max_surge", "max_unavailable", "desired", "expected"),
    [
        # cases of TestResolveFenceposts (nil there is an explicit 0 here, see below)
        ("0%", "0%", 0, (0, 1)),
        ("39%", "39%", 10, (4, 3)),
        (0, "39%", 10, (0, 3)),
        ("39%", 0, 10, (4, 0)),
        (0, 0, 10, (0, 1)),
        # examples in the ResolveFenceposts doc comment
        ("0%", "1%", 2, (0, 1)),
        ("1%", "25%", 2, (1, 0)),
        ("1%", "0%", 1, (1, 0)),
        # apps/v1 defaults when absent: 25% / 25%
        (None, None, 10, (3, 2)),
        (None, None, 1, (1, 0)),
        (None, None, 0, (0, 1)),
        (None, 2, 10, (3, 2)),
        (1, None, 3, (1, 0)),
        (2, 1, 5, (2, 1)),
    ],
)
def test_resolve_fenceposts(
    max_surge: object, max_unavailable: object, desired: int, expected: tuple[int, int]
) -> None:
    assert intstr.resolve_fenceposts(max_surge, max_unavailable, desired) == expected


@pytest.mark.parametrize(
    ("max_surge", "max_unavailable"),
    [("oops", "39%"), ("55%", "urg"), ("25", 1), ([], 1), (1, {"a": "b"})],
)
def test_resolve_fenceposts_rejects(max_surge: object, max_unavailable: object) -> None:
    with pytest.raises(ValueError):
        intstr.resolve_fenceposts(max_surge, max_unavailable, 10)


@pytest.mark.parametrize(
    ("max_surge", "max_unavailable", "desired", "expected"),
    [
        (None, None, 5, (0, 1)),
        (0, "10%", 15, (0, 2)),  # unavailable rounds up for a DaemonSet
        ("10%", 0, 15, (2, 0)),
        ("1%", 0, 3, (1, 0)),
        (0, "1%", 3, (0, 1)),
        (0, 0, 3, (0, 1)),
        (0, 0, 0, (0, 0)),  # no node wants a pod: no fallback
        (0, "0%", 0, (0, 0)),
        (2, None, 4, (2, 1)),
        ("100%", 0, 4, (4, 0)),
    ],
)
def test_daemonset_surge_and_unavailable(
    max_surge: object, max_unavailable: object, desired: int, expected: tuple[int, int]
) -> None:
    assert intstr.daemonset_surge_and_unavailable(max_surge, max_unavailable, desired) == expected


@pytest.mark.parametrize(("max_surge", "max_unavailable"), [("x", 1), (0, "1"), (0, [1])])
def test_daemonset_surge_and_unavailable_rejects(
    max_surge: object, max_unavailable: object
) -> None:
    with pytest.raises(ValueError):
        intstr.daemonset_surge_and_unavailable(max_surge, max_unavailable, 3)


@pytest.mark.parametrize(
    ("max_unavailable", "replicas", "expected"),
    [
        (None, 5, 1),
        (2, 5, 2),
        ("50%", 5, 2),  # rounds down
        ("10%", 5, 1),  # never below 1
        ("0%", 5, 1),
        (0, 5, 1),
        ("100%", 5, 5),
    ],
)
def test_statefulset_max_unavailable(max_unavailable: object, replicas: int, expected: int) -> None:
    assert intstr.statefulset_max_unavailable(max_unavailable, replicas) == expected


@pytest.mark.parametrize("value", ["50", "x%", [], True])
def test_statefulset_max_unavailable_rejects(value: object) -> None:
    with pytest.raises(ValueError):
        intstr.statefulset_max_unavailable(value, 5)


def test_defaults_are_read_only() -> None:
    assert intstr.DEFAULTS["Deployment"]["maxSurge"] == "25%"
    assert intstr.DEFAULTS["DaemonSet"]["maxUnavailable"] == 1
    assert intstr.DEFAULTS["StatefulSet"]["maxUnavailable"] == 1
    with pytest.raises(TypeError):
        intstr.DEFAULTS["Deployment"]["maxSurge"] = "50%"  # type: ignore[index]
