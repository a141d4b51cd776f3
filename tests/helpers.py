"""Shared test helpers: lint text or folders in-process, run the command line in this process
or a new one, read fixture markers."""

from __future__ import annotations

import gc
import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kpolicy.lint import LintOptions, lint
from kpolicy.model import Diagnostic, LintResult

MARKER = re.compile(r"#\s*\[([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)\]")


def skip_unless_in_c(module: Any, names: Sequence[str]) -> None:
    """Skip the test where any of ``module``'s C stand-ins ``names`` is None (the extension not
    built, or KPOLICY_PURE_PYTHON set)."""
    if any(getattr(module, name) is None for name in names):
        import pytest

        pytest.skip("the C extension is not built, or KPOLICY_PURE_PYTHON is set")


@contextmanager
def python_only(module: Any, names: Sequence[str]) -> Iterator[None]:
    """``module``'s C stand-ins ``names`` off (None) while in it: what is compiled then is the
    Python fallback's."""
    saved = {name: getattr(module, name) for name in names}
    try:
        for name in names:
            setattr(module, name, None)
        yield
    finally:
        for name, value in saved.items():
            setattr(module, name, value)


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


def examples(full: int, quick: int) -> int:
    """``max_examples`` of a property test: ``quick`` in ``make test``, ``full`` in ``make
    test-slow`` (which sets KPOLICY_TEST_RUN=slow and also runs every property test, the
    ``hypothesis`` marker), and at least KPOLICY_HYPOTHESIS_EXAMPLES when that is set."""
    raised = int(os.environ.get("KPOLICY_HYPOTHESIS_EXAMPLES", "0"))
    chosen = full if os.environ.get("KPOLICY_TEST_RUN") == "slow" else quick
    return max(chosen, raised)


def cli(
    *args: str,
    cwd: Path,
    stdin: str | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``kpolicy ARGS`` run in this process through the installed entry point
    (``kpolicy.entry.main``: the cached replay first, then the typer application), as a new
    process would run it: its own argv, stdin, stdout, stderr, working folder and environment
    (``env`` replaces it), and nothing remembered from an earlier run (``cache.reset``). The
    result has the shape of ``subprocess.run``'s. Tests of what only a separate process shows
    (a hang under a timeout, signals, the interpreter's start) keep using ``subprocess``."""
    from kpolicy import cache, entry

    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="")
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="")
    given = io.TextIOWrapper(io.BytesIO((stdin or "").encode("utf-8")), encoding="utf-8")
    saved = (sys.argv, sys.stdin, sys.stdout, sys.stderr)
    saved_env = dict(os.environ)
    code: int = 0
    collecting = gc.isenabled()
    cache.reset()
    try:
        if env is not None:
            os.environ.clear()
            os.environ.update(env)
        sys.argv = ["kpolicy", *args]
        sys.stdin, sys.stdout, sys.stderr = given, out, err
        with chdir(cwd):
            try:
                entry.main()
            except SystemExit as exit_:
                if exit_.code is None:
                    code = 0
                elif isinstance(exit_.code, int):
                    code = exit_.code
                else:
                    err.write(f"{exit_.code}\n")
                    code = 1
    finally:
        # the entry point turns the cyclic collector off for a lint, and freezes what the run
        # left (process-wide choices of a one-shot process): back as this process had it
        gc.unfreeze()
        if collecting:
            gc.enable()
        sys.argv, sys.stdin, sys.stdout, sys.stderr = saved
        if env is not None:
            os.environ.clear()
            os.environ.update(saved_env)
        cache.reset()
    texts = []
    for stream in (out, err):
        stream.flush()
        raw = stream.buffer
        assert isinstance(raw, io.BytesIO)
        texts.append(raw.getvalue().decode("utf-8", errors="replace"))
    return subprocess.CompletedProcess(["kpolicy", *args], code, texts[0], texts[1])


def run_process(
    *args: str, cwd: Path, stdin: str | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``kpolicy ARGS`` as the installed command runs it, in a new process (``python -m
    kpolicy``), with text output and a two-minute limit: for what only a separate process
    shows (exit codes from the interpreter, file modes, the real start). ``env``: the
    process's whole environment, when not this one's."""
    return subprocess.run(
        [sys.executable, "-m", "kpolicy", *args],
        cwd=cwd,
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def run_python(code: str, **env: str) -> str:
    """What ``code`` prints (stripped), run by a new interpreter in the repository's folder, with
    this process's environment less ``KPOLICY_PURE_PYTHON`` and plus ``env``; its standard
    error shown when it fails."""
    environ = {k: v for k, v in os.environ.items() if k != "KPOLICY_PURE_PYTHON"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**environ, **env},
        cwd=Path(__file__).resolve().parent.parent,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def fixture_documents(*folders: str) -> Iterator[object]:
    """Each YAML document of the ``*.yaml`` files under ``folders`` of the repository, in path
    order; a file that does not parse (a fixture of bad YAML) is left out whole."""
    import yaml

    from tests.conftest import ROOT

    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.yaml")):
            try:
                documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
            except yaml.YAMLError:
                continue
            yield from documents
