from __future__ import annotations

from collections.abc import Callable

import pytest

from kpolicy.k8s import validation as v

Check = Callable[[object], list[str]]

HOSTILE: list[object] = [None, 1, 1.5, True, [], ["a"], {}, {"a": {"b": None}}]

VALID: list[tuple[Check, object]] = [
    # TestIsDNS1123Label
    *(
        (v.is_dns1123_label, value)
        for value in [
            "a",
            "ab",
            "abc",
            "a1",
            "a-1",
            "a--1--2--b",
            "0",
            "01",
            "012",
            "1a",
            "1-a",
            "1--a--b--2",
            "a" * 63,
        ]
    ),
    # TestIsDNS1123Subdomain
    *(
        (v.is_dns1123_subdomain, value)
        for value in [
            "a",
            "a1",
            "a-1",
            "0",
            "1-a",
            "a.a",
            "ab.ab",
            "a-1.a-1",
            "a--1--2--b.0",
            "1.a",
            "11.11",
            "a.b.c.d",
            "a" * 253,
            ("a" * 63 + ".") * 3 + "a" * 61,
        ]
    ),
    # TestIsDNS1035Label
    *(
        (v.is_dns1035_label, value)
        for value in ["a", "ab", "abc", "a1", "a-1", "a--1--2--b", "a" * 63]
    ),
    # TestIsQualifiedName
    *(
        (v.is_qualified_name, value)
        for value in [
            "simple",
            "now-with-dashes",
            "1-starts-with-num",
            "1234",
            "simple/simple",
            "now-with-dashes/simple",
            "now-with-dashes/now-with-dashes",
            "now.with.dots/simple",
            "now-with.dashes-and.dots/simple",
            "1-num.2-num/3-num",
            "1234/5678",
            "1.2.3.4/5678",
            "Uppercase_Is_OK_123",
            "example.com/Uppercase_Is_OK_123",
            "requests.storage-foo",
            "a" * 63,
            "a" * 253 + "/" + "a" * 63,
        ]
    ),
    # TestIsValidLabelValue
    *(
        (v.is_valid_label_value, value)
        for value in [
            "simple",
            "now-with-dashes",
            "1-starts-with-num",
            "end-with-num-1",
            "1234",
            "",
            "Uppercase_Is_OK_123",
            "a.b",
            "a" * 63,
        ]
    ),
    # TestIsValidPortName
    *(
        (v.is_valid_port_name, value)
        for value in ["telnet", "re-mail-ck", "pop3", "a", "a-1", "1-a", "a-1-b-2-c", "1-a-2-b-3"]
    ),
    *((v.is_valid_port_num, value) for value in [1, 80, 8080, 65535]),
    # relaxed env var names (current Kubernetes)
    *(
        (v.is_env_var_name, value)
        for value in [
            "ABC",
            "1ABC",
            "my.env-name",
            "a b",
            ".",
            "..",
            "!#$%&'()*+,-./:;<>?@[]^`{|}~",
        ]
    ),
    # TestIsEnvVarName
    *(
        (v.is_strict_env_var_name, value)
        for value in ["A", "ABC", "AbC_123", "_123", "-123", "a.b", "a-b", "my.env-name", ".a"]
    ),
    # TestIsCIdentifier
    *(
        (v.is_c_identifier, value)
        for value in ["a", "ab", "abc", "a1", "_a", "a_", "a_b", "a_1", "_1", "A", "AB", "AbC"]
    ),
    *((v.is_valid_percent, value) for value in ["0%", "1%", "93%", "100%", "1000%"]),
]

INVALID: list[tuple[Check, object]] = [
    *(
        (v.is_dns1123_label, value)
        for value in [
            "",
            "A",
            "ABC",
            "aBc",
            "A1",
            "A-1",
            "1-A",
            "-",
            "a-",
            "-a",
            "1-",
            "-1",
            "_",
            "a_",
            "_a",
            "a_b",
            "1_2",
            ".",
            "a.",
            ".a",
            "a.b",
            "1.2",
            " ",
            "a ",
            " a",
            "a b",
            "a" * 64,
            "a\n",
        ]
    ),
    *(
        (v.is_dns1123_subdomain, value)
        for value in [
            "",
            "A",
            "ABC",
            "aBc",
            "-",
            "a-",
            "-a",
            "_",
            "a_b",
            ".",
            "a.",
            ".a",
            "a..b",
            "a.-b",
            "a-.b",
            "a b",
            "a" * 254,
        ]
    ),
    *(
        (v.is_dns1035_label, value)
        for value in ["0", "01", "012", "1a", "1-a", "", "A", "ABC", "a-", "-a", "a.b", "a" * 64]
    ),
    *(
        (v.is_qualified_name, value)
        for value in [
            "nospecialchars%^=@",
            "cantendwithadash-",
            "-cantstartwithadash-",
            "only/one/slash",
            "Example.com/abc",
            "example_com/abc",
            "example.com/",
            "/simple",
            "",
            "a" * 64,
            "a" * 254 + "/abc",
        ]
    ),
    *(
        (v.is_valid_label_value, value)
        for value in [
            "nospecialchars%^=@",
            "Tama-nui-te-rā.Tama-nui-te-rā",
            "cantendwithadash-",
            "-cantstartwithadash-",
            "only/one/slash",
            "a" * 64,
        ]
    ),
    *(
        (v.is_valid_port_name, value)
        for value in ["", "longerthan15characters", "ab-", "-ab", "a--b", "12345", "Http", "a_b"]
    ),
    *((v.is_valid_port_num, value) for value in [0, -1, 65536, "80", 80.0, None, True]),
    *((v.is_env_var_name, value) for value in ["", "a=b", "=", "ñ", "a\tb", "a\n", "\x7f"]),
    *(
        (v.is_strict_env_var_name, value)
        for value in ["", "1ABC", "A=B", "a b", "ñ", ".", "..", "..a", "a$"]
    ),
    *(
        (v.is_c_identifier, value)
        for value in ["", "1", "123", "1a", "-", "a-", "-a", "a b", ".", "a.b", "1_"]
    ),
    *((v.is_valid_percent, value) for value in ["", "%", "5", "-5%", "+5%", "5.5%", " 5%", "5%%"]),
]

STRING_CHECKS: list[Check] = [
    v.is_dns1123_label,
    v.is_dns1123_subdomain,
    v.is_dns1035_label,
    v.is_qualified_name,
    v.is_valid_label_value,
    v.is_valid_port_name,
    v.is_env_var_name,
    v.is_strict_env_var_name,
    v.is_c_identifier,
    v.is_valid_percent,
]


@pytest.mark.parametrize(("check", "value"), VALID)
def test_valid(check: Check, value: object) -> None:
    assert check(value) == []


@pytest.mark.parametrize(("check", "value"), INVALID)
def test_invalid(check: Check, value: object) -> None:
    errors = check(value)
    assert errors
    for message in errors:
        assert message == message.strip()
        assert not message.endswith(".")
        assert message[0].islower() or message[0] in "'\"" or message[0].isdigit()


@pytest.mark.parametrize("check", STRING_CHECKS)
@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_types_are_reported(check: Check, value: object) -> None:
    errors = check(value)
    assert len(errors) == 1
    assert "must be a string" in errors[0]


def test_messages_carry_the_value() -> None:
    assert "'My_Name'" in v.is_dns1123_label("My_Name")[0]
    assert v.is_dns1123_label("a.b") == ["'a.b' must not contain dots"]
    assert "65536" in v.is_valid_port_num(65536)[0]


def test_lengths_are_counted_in_bytes() -> None:
    # 32 two-byte characters: 64 bytes, over the limit as Go's len sees it
    errors = v.is_valid_label_value("é" * 32)
    assert any("no more than 63" in message for message in errors)


def test_dns1123_label_too_long_and_bad() -> None:
    assert len(v.is_dns1123_label("A" * 64)) == 2


def test_qualified_name_reports_prefix_and_name() -> None:
    errors = v.is_qualified_name("Bad_Prefix/-bad-")
    assert any("prefix" in message for message in errors)
    assert any("name part" in message for message in errors)


def test_port_name_reports_every_problem() -> None:
    assert len(v.is_valid_port_name("-A--longer-than-15-")) == 4


@pytest.mark.parametrize(
    "selector",
    [
        None,
        {},
        {"matchLabels": {"app": "web"}},
        {"matchLabels": {"app": ""}},
        {"matchLabels": None, "matchExpressions": None},
        {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]},
        {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["a"]}]},
        {"matchExpressions": [{"key": "example.com/x", "operator": "Exists"}]},
        {"matchExpressions": [{"key": "x", "operator": "DoesNotExist", "values": []}]},
        {"matchExpressions": [{"key": "x", "operator": "Exists", "values": None}]},
    ],
)
def test_validate_label_selector_accepts(selector: object) -> None:
    assert v.validate_label_selector(selector) == []


@pytest.mark.parametrize(
    ("selector", "paths"),
    [
        ("app=web", [()]),
        (["app"], [()]),
        (3, [()]),
        ({"matchLabels": ["app"]}, [("matchLabels",)]),
        ({"matchLabels": "app=web"}, [("matchLabels",)]),
        ({"matchLabels": {"app": 1}}, [("matchLabels", "app")]),
        ({"matchLabels": {"app": None}}, [("matchLabels", "app")]),
        ({"matchLabels": {"app": "-bad"}}, [("matchLabels", "app")]),
        ({"matchLabels": {"bad key": "x"}}, [("matchLabels", "bad key")]),
        ({"matchLabels": {1: "x"}}, [("matchLabels", "1")]),
        ({"matchExpressions": {"key": "a"}}, [("matchExpressions",)]),
        ({"matchExpressions": ["a"]}, [("matchExpressions", 0)]),
        ({"matchExpressions": [None]}, [("matchExpressions", 0)]),
        (
            {"matchExpressions": [{"key": "a", "operator": "In"}]},
            [("matchExpressions", 0, "values")],
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "NotIn", "values": []}]},
            [("matchExpressions", 0, "values")],
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]},
            [("matchExpressions", 0, "values")],
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "DoesNotExist", "values": ["x"]}]},
            [("matchExpressions", 0, "values")],
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "in", "values": ["x"]}]},
            [("matchExpressions", 0, "operator")],
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]},
            [("matchExpressions", 0, "operator")],
        ),
        ({"matchExpressions": [{"key": "a"}]}, [("matchExpressions", 0, "operator")]),
        (
            {"matchExpressions": [{"operator": "Exists"}]},
            [("matchExpressions", 0, "key")],
        ),
        (
            {"matchExpressions": [{"key": "a/b/c", "operator": "Exists"}]},
            [("matchExpressions", 0, "key")],
        ),
        (
            {"matchExpressions": [{"key": ["a"], "operator": "Exists"}]},
            [("matchExpressions", 0, "key")],
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "In", "values": "x"}]},
            [("matchExpressions", 0, "values")],
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "In", "values": ["ok", 5, "-x"]}]},
            [("matchExpressions", 0, "values", 1), ("matchExpressions", 0, "values", 2)],
        ),
        (
            {
                "matchLabels": {"app": "web", "x": "bad value"},
                "matchExpressions": [
                    {"key": "a", "operator": "Exists"},
                    {"key": "b", "operator": "Nope"},
                ],
            },
            [("matchLabels", "x"), ("matchExpressions", 1, "operator")],
        ),
    ],
)
def test_validate_label_selector_rejects(
    selector: object, paths: list[tuple[str | int, ...]]
) -> None:
    errors = v.validate_label_selector(selector)
    assert [path for path, _ in errors] == paths
    for _, message in errors:
        assert message and not message.endswith(".")
