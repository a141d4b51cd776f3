"""A bad policy is a usage error that names the file, the line and the problem."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from kpolicy.errors import UsageError
from kpolicy.lint import LintOptions, build_session, load_policies
from kpolicy.ruledefs import builtin_rules, parse_rule_file

HEAD = """\
id: {id}
title: A test policy
severity: error
rationale: for the tests.
remediation: Fix it.
examples:
  - good: 'a: 1'
"""


def write(folder: Path, body: str, rule_id: str = "p", name: str | None = None) -> Path:
    path = folder / f"{name or rule_id}.yaml"
    path.write_text(HEAD.format(id=rule_id) + textwrap.dedent(body))
    return path


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "check:\n  properties:\n    image: {pattern: '^(reg'}\n",
            ":10: invalid JSON Schema at check/properties/image/pattern: '^(reg' is not a valid "
            "regular expression (missing ) at position 5)",
        ),
        (
            "check:\n  properties:\n    spec:\n      type: strin\n",
            ":11: invalid JSON Schema at check/properties/spec/type:",
        ),
        ("check:\n  required: notalist\n", ":9: invalid JSON Schema at check/required:"),
        ("target: pod\ncheck: {}\n", ":8: invalid rule file at target: 'pod' is not one of"),
        (
            "target: podSpec\ncontainers: {init: true}\ncheck: {}\n",
            ":8: invalid rule file at target: 'container' was expected",
        ),
        (
            "match: {namespace: [prod]}\ncheck: {}\n",
            ":8: invalid rule file at match/namespace: unknown key 'namespace' (allowed: annotations,",
        ),
        (
            "check: {}\nseverty: error\n",
            ":9: invalid rule file at severty: unknown key 'severty' (allowed: check,",
        ),
        ("check: [1]\n", ":8: invalid rule file at check: [1] is not of type 'object'"),
    ],
)
def test_bad_policy_names_file_line_and_problem(tmp_path: Path, body: str, expected: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(UsageError) as info:
        load_policies([path], builtin_rules())
    message = str(info.value)
    assert message.startswith(str(path)), message
    assert expected in message, message


def test_yaml_error_in_policy(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("id: p\ntitle: [unclosed\n")
    with pytest.raises(UsageError, match=rf"^{path}:\d+:\d+: invalid YAML"):
        parse_rule_file(path)


def test_policy_id_clashes(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="clashes with a built-in rule"):
        load_policies([write(tmp_path, "check: {}\n", "run-as-root")], builtin_rules())
    a = tmp_path / "a"
    b = tmp_path / "b"
    a.mkdir()
    b.mkdir()
    write(a, "check: {}\n")
    write(b, "check: {}\n")
    with pytest.raises(UsageError, match="defined twice"):
        load_policies([a, b], builtin_rules())
    write(tmp_path, "check: {}\n", "q", name="other-name")
    with pytest.raises(UsageError, match="differs from the file name"):
        load_policies([tmp_path], builtin_rules())


def test_missing_policy_path(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="policy path not found"):
        load_policies([tmp_path / "nope"], builtin_rules())


def test_config_policies_are_relative_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    write(tmp_path / "policies", "check: {}\n", "team-rule")
    (tmp_path / ".kpolicy.yaml").write_text("policies: [policies]\nrules:\n  team-rule: warning\n")
    sub = tmp_path / "deep" / "er"
    sub.mkdir(parents=True)
    session = build_session(LintOptions(cwd=sub))
    assert session.active["team-rule"].severity.value == "warning"
    assert session.rules["team-rule"].origin.endswith("team-rule.yaml")


def test_policy_help_uri(tmp_path: Path) -> None:
    plain = parse_rule_file(write(tmp_path, "check: {}\n"))
    assert plain.help_uri.endswith("/docs/policies.md")
    own = parse_rule_file(write(tmp_path, "check: {}\nhelpUri: https://wiki.example.com/x\n", "q"))
    assert own.help_uri == "https://wiki.example.com/x"
    assert builtin_rules()["run-as-root"].help_uri.endswith("/docs/rules.md#run-as-root")
