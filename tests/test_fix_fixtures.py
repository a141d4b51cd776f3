"""Every fix, on its rule's fixture: tests/rules/<rule-id>/bad.yaml → fixed.yaml (golden).

For a rule that declares ``fix: safe`` or ``fix: unsafe`` (rules/<id>.yaml) the bad fixture's
findings carry fixes of that applicability; ``kpolicy lint --fix`` (with --unsafe-fixes for an
unsafe one) turns bad.yaml into ``fixed.yaml`` (regenerated with ``pytest --update-golden``),
which lints clean of the rule, is left alone by a second --fix, and differs from bad.yaml only
on the lines a finding or its fix names. A rule that declares no fix attaches none.
"""

from __future__ import annotations

import difflib
import shutil
from contextlib import chdir
from pathlib import Path
from typing import Any

import pytest

from kpolicy.fix.run import run_fixes
from kpolicy.lint import LintOptions, build_session
from kpolicy.ruledefs import builtin_rules
from tests.helpers import lint_paths, of_rule

FIXTURES = Path(__file__).parent / "rules"
RULES = builtin_rules()
FOLDERS = sorted(p for p in FIXTURES.iterdir() if (p / "bad.yaml").is_file())
FIXED = [f for f in FOLDERS if f.name in RULES and RULES[f.name].fix != "none"]


def _options(folder: Path, rule: str, name: str) -> LintOptions:
    extra: dict[str, Any] = {}
    if (folder / "nodes.yaml").is_file():
        extra["nodes_file"] = Path("nodes.yaml")
    if (folder / "context").is_dir():
        extra["context"] = ["context"]
    return LintOptions(paths=[name], cwd=folder, select=[rule], **extra)


def _fix(folder: Path, rule: str, text: str) -> str:
    """``text`` as bad.yaml of ``folder``, fixed as ``kpolicy lint --fix --unsafe-fixes``."""
    with chdir(folder):
        options = _options(folder, rule, "bad.yaml")
        options = LintOptions(**{**options.__dict__, "texts": {"bad.yaml": text}})
        outcome = run_fixes(options, build_session(options), unsafe=True)
    found = outcome.files.get("bad.yaml")
    return text if found is None else found.text


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_declared_fix_is_what_the_findings_carry(folder: Path) -> None:
    rule = folder.name
    if rule not in RULES:
        pytest.skip("a fixture of a policy or pipeline rule")
    found = of_rule(lint_paths(["bad.yaml"], folder, **_extra(folder, rule)), rule)
    kinds = {d.fix.applicability for d in found if d.fix is not None}
    declared = RULES[rule].fix
    if declared == "none":
        assert not kinds, f"{rule} declares no fix but its findings carry {kinds}"
    else:
        assert kinds == {declared}, f"{rule} declares fix: {declared}; its findings carry {kinds}"


def _extra(folder: Path, rule: str) -> dict[str, Any]:
    options = _options(folder, rule, "bad.yaml")
    return {"select": [rule], "nodes_file": options.nodes_file, "context": options.context}


@pytest.mark.parametrize("folder", FIXED, ids=[f.name for f in FIXED])
def test_fixed_fixture(folder: Path, update_golden: bool, tmp_path: Path) -> None:
    rule = folder.name
    bad = (folder / "bad.yaml").read_text(encoding="utf-8")
    once = _fix(folder, rule, bad)
    golden = folder / "fixed.yaml"
    if update_golden or not golden.exists():
        golden.write_text(once, encoding="utf-8")
    assert once == golden.read_text(encoding="utf-8")
    assert once != bad, "the fix changed nothing"
    # a second --fix leaves it alone
    assert _fix(folder, rule, once) == once
    # what is left of the rule carries no fix (a finding without one stays, as on the CLI)
    work = tmp_path / "fixture"
    shutil.copytree(folder, work)
    (work / "bad.yaml").write_text(once, encoding="utf-8")
    left = of_rule(lint_paths(["bad.yaml"], work, **_extra(work, rule)), rule)
    assert not [d for d in left if d.fix is not None]
    # only lines that a finding or its fix touches change
    before = lint_paths(["bad.yaml"], folder, **_extra(folder, rule))
    touched = {d.span.line for d in of_rule(before, rule)}
    for diagnostic in of_rule(before, rule):
        for related in diagnostic.related:
            touched.add(related.span.line)
        if diagnostic.fix is not None:
            for edit in diagnostic.fix.edits:
                span = getattr(edit, "span", None) or getattr(edit, "before", None)
                span = span or getattr(edit, "key", None)
                if span is not None:
                    touched.update(range(span.line, span.end_line + 1))
    removed = [
        int(line.split()[1].split(",")[0].lstrip("-"))
        for line in difflib.unified_diff(bad.splitlines(), once.splitlines(), n=0)
        if line.startswith("@@")
    ]
    assert removed and all(any(abs(n - t) <= 1 for t in touched) for n in removed)
