"""``kpolicy test-policies``: a policy's (or built-in rule's) examples run as tests.

Every ``bad`` example must raise at least one finding of its rule and every ``good`` example
none; an example that does not load, or that makes a rule fail with an internal error, fails.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from kpolicy import escape
from kpolicy.engine import INTERNAL_ERROR
from kpolicy.errors import UsageError
from kpolicy.lint import LintOptions, Session, build_session, check_files, load_policies
from kpolicy.load import load_text
from kpolicy.model import Diagnostic, KObject, Severity, SourceFile
from kpolicy.ruledefs import Example, RuleDef, builtin_rules

__all__ = ["ExampleRun", "ExampleRunner", "load_rules_under_test", "run_test_policies"]


@dataclass(frozen=True)
class ExampleRun:
    """What linting one example with its rule gave."""

    findings: tuple[Diagnostic, ...]  # of the rule under test
    problems: tuple[str, ...]  # why the example could not be judged (load errors, rule crashes)


class ExampleRunner:
    """Lints examples with a session per Kubernetes version, built once."""

    def __init__(self, policies: Sequence[Path], rule_ids: Sequence[str]) -> None:
        self._policies = tuple(policies)
        self._rule_ids = tuple(rule_ids)
        self._sessions: dict[str | None, Session] = {}

    def _session(self, version: str | None) -> Session:
        if version not in self._sessions:
            self._sessions[version] = build_session(
                LintOptions(
                    select=self._rule_ids,
                    policies=self._policies,
                    kubernetes_version=version,
                    use_config_discovery=False,
                )
            )
        return self._sessions[version]

    def run(self, rule: RuleDef, example: Example, text: str, name: str) -> ExampleRun:
        session = self._session(example.kubernetes_version)
        loaded = load_text(SourceFile(name, text), session.limits)
        problems = [
            f"the example does not load: {_line(d)}"
            for d in loaded.diagnostics
            if d.severity is Severity.ERROR and d.rule != rule.id
        ]
        nodes: tuple[KObject, ...] | None = None
        if example.nodes is not None:
            nodes_file = load_text(SourceFile("nodes.yaml", example.nodes, True), session.limits)
            nodes = tuple(o for o in nodes_file.objects if o.kind == "Node")
        result, _ = check_files([loaded], [], session, nodes=nodes)
        crashes = [d for d in result.diagnostics if d.rule == INTERNAL_ERROR]
        problems += [f"the rule failed: {d.message}" for d in crashes if rule.id in d.message]
        findings = tuple(d for d in (*result.diagnostics, *result.suppressed) if d.rule == rule.id)
        return ExampleRun(findings, tuple(problems))


def _line(diag: Diagnostic) -> str:
    from kpolicy.report.text import format_line

    return format_line(diag)


def load_rules_under_test(paths: Sequence[Path]) -> dict[str, RuleDef]:
    """The policies in ``paths`` (files or folders), or the built-in rules when none is given."""
    if not paths:
        return dict(builtin_rules())
    rules = load_policies(paths, builtin_rules())
    if not rules:
        raise UsageError(f"no policy files (*.yaml) in {', '.join(str(p) for p in paths)}")
    return rules


def _has_logic(rule: RuleDef) -> bool:
    from kpolicy.checks import registry

    return (
        rule.check is not None
        or rule.id in registry()
        or rule.implementation in ("loader", "pipeline")
    )


def run_test_policies(paths: list[Path], out: TextIO, err: TextIO | None = None) -> int:
    """Run every example of the policies in ``paths`` (default: the built-in rules).

    Writes one ``PASS``/``FAIL`` line per example and a summary to ``out``. Returns 0 when every
    example passes, 1 when one fails, 2 for a usage error (a policy that does not load).
    """
    try:
        rules = load_rules_under_test(paths)
        runner = ExampleRunner(paths, sorted(rules))
        failed, passed = _run_all(rules, runner, out)
    except UsageError as exc:
        (err or sys.stderr).write(f"kpolicy: error: {escape.text(exc)}\n")
        return 2
    one, many = ("policy", "policies") if paths else ("rule", "rules")
    examples = passed + failed
    out.write(
        f"{len(rules)} {one if len(rules) == 1 else many}, "
        f"{examples} example{'' if examples == 1 else 's'}: {passed} passed, {failed} failed\n"
    )
    return 1 if failed else 0


def _run_all(rules: Mapping[str, RuleDef], runner: ExampleRunner, out: TextIO) -> tuple[int, int]:
    failed = passed = 0
    for rule_id in sorted(rules):
        rule = rules[rule_id]
        if not _has_logic(rule):
            out.write(
                f"FAIL {rule_id}: no check, so it can never report anything "
                f"({escape.text(rule.origin)})\n"
            )
            failed += 1
            continue
        for number, example in enumerate(rule.examples, start=1):
            for label, text in (("bad", example.bad), ("good", example.good)):
                if text is None:
                    continue
                run = runner.run(rule, example, text, f"{label}.yaml")
                verdict, ok = _judge(label, run)
                title = f"{rule_id} example {number} {label}"
                if example.description:
                    title += f" ({example.description})"
                out.write(
                    f"{'PASS' if ok else 'FAIL'} {escape.text(title)}: {escape.text(verdict)}\n"
                )
                if ok:
                    passed += 1
                    continue
                failed += 1
                out.write(f"     in {escape.text(rule.origin)}\n")
                for problem in run.problems:
                    out.write(f"     {escape.text(problem)}\n")
                for diag in run.findings:
                    out.write(f"     {escape.text(_line(diag))}\n")
    return failed, passed


def _judge(label: str, run: ExampleRun) -> tuple[str, bool]:
    count = len(run.findings)
    found = f"{count} finding{'' if count == 1 else 's'}" if count else "no finding"
    if run.problems:
        return f"{found}, but the example cannot be judged", False
    if label == "bad":
        return (found, True) if count else ("no finding, expected at least one", False)
    return ("no finding", True) if not count else (f"{found}, expected none", False)
