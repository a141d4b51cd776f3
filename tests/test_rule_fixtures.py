"""One parametrized test per rule fixture folder: tests/rules/<rule-id>/{bad,good}.yaml.

``bad.yaml`` marks every line that must carry a finding of the rule with ``# [rule-id]``;
``expected.txt`` is the golden text output for the rule on ``bad.yaml`` (line, column, message),
written only by ``pytest --update-golden`` (a missing one fails). ``good.yaml`` must yield no
finding of the rule.
A fixture folder may hold ``.kpolicy.yaml`` (config, e.g. kubernetesVersion or params),
``nodes.yaml`` (passed as --nodes) and ``context/`` (passed as --context).

A rule about a repository's layout (a Helm chart) has folders ``bad/`` and ``good/`` instead
of the two files: each is linted as a folder, and the markers of every file in ``bad/`` count.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kpolicy.model import Diagnostic
from kpolicy.report.text import format_line
from tests.conftest import check_golden
from tests.helpers import lint_paths, markers, of_rule

FIXTURES = Path(__file__).parent / "rules"
FOLDERS = sorted(p for p in FIXTURES.iterdir() if p.is_dir()) if FIXTURES.is_dir() else []


def _run(folder: Path, name: str) -> list[Diagnostic]:
    rule = folder.name
    options: dict[str, Any] = {"select": [rule]}
    if (folder / "nodes.yaml").is_file():
        options["nodes_file"] = Path("nodes.yaml")
    if (folder / "context").is_dir():
        options["context"] = ["context"]
    result = lint_paths([name], folder, **options)
    assert not result.errors, result.errors
    return of_rule(result, rule)


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_bad_fixture(folder: Path, update_golden: bool) -> None:
    rule = folder.name
    if (folder / "bad").is_dir():
        expected = {
            (str(path.relative_to(folder)), line)
            for path in sorted((folder / "bad").rglob("*"))
            if path.is_file()
            for line, r in markers(path)
            if r == rule
        }
        assert expected, f"{folder / 'bad'} has no # [{rule}] marker"
        found = _run(folder, "bad")
        got = {(d.file, d.span.line) for d in found}
        assert got == expected, "\n".join(format_line(d) for d in found)
    else:
        bad = folder / "bad.yaml"
        lines = {line for line, r in markers(bad) if r == rule}
        assert lines, f"{bad} has no # [{rule}] marker"
        found = _run(folder, "bad.yaml")
        assert {d.span.line for d in found} == lines, "\n".join(format_line(d) for d in found)
    golden = folder / "expected.txt"
    text = "".join(format_line(d) + "\n" for d in found)
    check_golden(golden, text, update_golden)


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_good_fixture(folder: Path) -> None:
    found = _run(folder, "good" if (folder / "good").is_dir() else "good.yaml")
    assert found == [], "\n".join(format_line(d) for d in found)
