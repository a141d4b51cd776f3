"""Rules, fixtures, implementations and documentation stay in step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kpolicy.checks import registry
from kpolicy.ruledefs import builtin_rules
from tests.helpers import lint_text, of_rule

FIXTURES = Path(__file__).parent / "rules"
# A rule that no manifest can trigger by itself; tested in test_robustness.py instead.
NO_FIXTURE = {"internal-error"}


def test_builtin_rule_files_validate() -> None:
    from kpolicy.resources import data_dir
    from kpolicy.ruledefs import load_rule_dir

    assert set(load_rule_dir(data_dir("rules"), validate=True)) == set(builtin_rules())


def test_every_rule_has_fixtures() -> None:
    missing = [
        rule_id
        for rule_id in builtin_rules()
        if rule_id not in NO_FIXTURE
        and not (
            ((FIXTURES / rule_id / "bad.yaml").is_file() or (FIXTURES / rule_id / "bad").is_dir())
            and (
                (FIXTURES / rule_id / "good.yaml").is_file()
                or (FIXTURES / rule_id / "good").is_dir()
            )
        )
    ]
    assert missing == []


def test_every_fixture_has_a_rule() -> None:
    orphans = [p.name for p in FIXTURES.iterdir() if p.is_dir() and p.name not in builtin_rules()]
    assert orphans == []


def test_every_implementation_has_metadata_and_back() -> None:
    rules = builtin_rules()
    checks = registry()
    assert sorted(set(checks) - set(rules)) == []
    needs_code = [r.id for r in rules.values() if r.implementation == "python" and r.check is None]
    assert sorted(set(needs_code) - set(checks)) == []
    loader_with_code = [
        r.id for r in rules.values() if r.implementation == "loader" and r.id in checks
    ]
    assert loader_with_code == []


@pytest.mark.parametrize("rule_id", sorted(builtin_rules()))
def test_rule_documentation(rule_id: str) -> None:
    rule = builtin_rules()[rule_id]
    assert rule.title and rule.title[0].isupper()
    assert rule.remediation.rstrip().endswith(".")
    assert len(rule.rationale) > 40
    assert rule.examples


@pytest.mark.parametrize("rule_id", sorted(builtin_rules()))
def test_rule_examples_run(rule_id: str, tmp_path: Path) -> None:
    """The examples shown in the docs are tests: bad triggers the rule, good does not."""
    rule = builtin_rules()[rule_id]
    for example in rule.examples:
        options: dict[str, Any] = {"select": [rule_id]}
        if example.nodes is not None:
            nodes = tmp_path / "nodes.yaml"
            nodes.write_text(example.nodes)
            options["nodes_file"] = nodes
        if example.kubernetes_version is not None:
            options["kubernetes_version"] = example.kubernetes_version
        if example.bad is not None:
            result = lint_text(example.bad, **options)
            assert of_rule(result, rule_id), f"bad example of {rule_id} raised nothing"
        if example.good is not None:
            result = lint_text(example.good, **options)
            assert of_rule(result, rule_id) == [], f"good example of {rule_id} raised findings"
