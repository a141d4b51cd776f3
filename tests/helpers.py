"""Shared test helpers: lint text or folders in-process, read fixture markers."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kpolicy.lint import LintOptions, lint
from kpolicy.model import Diagnostic, LintResult

MARKER = re.compile(r"#\s*\[([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)\]")


@contextmanager
def chdir(path: Path) -> Iterator[None]:
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def lint_text(text: str, *, name: str = "test.yaml", **options: Any) -> LintResult:
    """Lint one in-memory manifest (as stdin) with the default config and no discovery."""
    opts = LintOptions(
        paths=["-"],
        stdin_filename=name,
        stdin_text=text,
        use_config_discovery=False,
        **options,
    )
    return lint(opts)[0]


def lint_paths(paths: Sequence[str], cwd: Path, **options: Any) -> LintResult:
    with chdir(cwd):
        return lint(LintOptions(paths=list(paths), cwd=cwd, **options))[0]


def markers(path: Path) -> set[tuple[int, str]]:
    """``# [rule-id]`` (or ``# [a, b]``) on a line: that rule is expected on that line."""
    found: set[tuple[int, str]] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        for match in MARKER.finditer(line):
            for rule in match.group(1).split(","):
                found.add((number, rule.strip()))
    return found


def of_rule(result: LintResult, rule: str) -> list[Diagnostic]:
    return [d for d in result.diagnostics if d.rule == rule]
