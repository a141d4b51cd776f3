"""kpolicy.fastcli parses plain ``kpolicy lint`` command lines as typer does, and declines the
rest (typer then parses them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer._click.types as click_types
import typer.core as click_core
import typer.main

import kpolicy.lintcmd
from kpolicy import fastcli
from kpolicy.cli import app


def typer_arguments(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The keyword arguments typer gives kpolicy.lintcmd.run for ``kpolicy ARGV``."""
    seen: list[dict[str, Any]] = []

    def record(**kwargs: Any) -> int:
        seen.append(kwargs)
        return 0

    monkeypatch.setattr(kpolicy.lintcmd, "run", record)
    with pytest.raises(SystemExit) as exit_info:
        app(argv, prog_name="kpolicy")
    assert exit_info.value.code == 0, argv
    assert len(seen) == 1
    return seen[0]


def test_the_table_is_the_typer_command() -> None:
    command = typer.main.get_command(app)
    assert isinstance(command, click_core.TyperGroup)
    lint = command.commands["lint"]
    options = {p.name: p for p in lint.params if isinstance(p, click_core.TyperOption)}
    assert set(options) == set(fastcli._OPTIONS)
    assert {p.name for p in lint.params} == set(fastcli.DEFAULTS)
    for name, (strings, kind) in fastcli._OPTIONS.items():
        option = options[name]
        assert tuple(option.opts) == strings, name
        assert option.multiple == kind.startswith("list"), name
        if kind == "bool":
            assert option.secondary_opts == ["--no-" + strings[0][2:]], name
        else:
            assert option.secondary_opts == [], name
        assert option.is_flag == (kind in ("flag", "bool")), name
        if kind.startswith("int>="):
            assert isinstance(option.type, click_types.IntRange), name
            assert option.type.min == int(kind[5:]) and option.type.max is None, name


COMMAND_LINES = [
    ["lint"],
    ["lint", "."],
    ["lint", "a.yaml", "b/", "-"],
    ["lint", "--format", "json", "--no-cache", "--fail-on", "never", "x.yaml"],
    ["lint", "-f", "sarif", "-o", "out.sarif", "deploy/"],
    ["lint", "--format=github", "--output=-", "x.yaml"],
    ["lint", "x.yaml", "--select", "a,b", "--select", "c", "--ignore", "d"],
    ["lint", "--report", "sarif=k.sarif", "--report", "junit=k.xml", "."],
    ["lint", "--config", "c.yaml", "-c", "d.yaml", "."],  # the last one wins
    ["lint", "--context", "ctx/", "--context", "more/", "--policy", "p/", "--policy", "q.yaml"],
    ["lint", "--kubernetes-version", "1.33", "--cluster-domain", "example.org", "."],
    ["lint", "--stdin-filename", "in.yaml", "-"],
    ["lint", "--nodes", "nodes.yaml", "--feature-gates", "A=true,B=false", "."],
    ["lint", "--schema-dir", "schemas", "--max-file-size", "1000", "."],
    ["lint", "--show-suppressed", "--no-show-suppressed", "--show-skipped", "-v", "."],
    ["lint", "--baseline", "b.json", "."],
    ["lint", "--write-baseline", "b.json", "."],
    ["lint", "--kustomize", "overlays/prod", "--kustomize", "overlays/dev"],
    ["lint", "--no-ignore", "--force-exclude", "a.yaml"],
    ["lint", "--no-force-exclude", "--color", "--no-color", "--debug", "--no-debug", "."],
    ["lint", "--jobs", "0", "-j", "3", "--jobs=007", "."],
    ["lint", "--format", "", "."],
    ["lint", "--fail-on=", "."],
    # click's other forms: short options with their values attached, grouped short options,
    # `--`, options given twice (the last wins; a repeatable one keeps every value in order)
    ["lint", "-j1", "."],
    ["lint", "-j0", "-j007", "."],
    ["lint", "-fjson", "-ojson.out", "-cconf.yaml", "."],
    ["lint", "-o-", "-f", "", "."],  # the output "-" attached
    ["lint", "-vj1", "."],
    ["lint", "-vj", "2", "."],
    ["lint", "-vfjson", "x.yaml"],
    ["lint", "-vf", "json", "x.yaml"],
    ["lint", "-vv", "-v", "."],
    ["lint", "-fj", "."],  # the format "j": -f takes the rest of the argument
    ["lint", "-ffoo=bar", "-vo", "-", "."],
    ["lint", "-j", "1", "-j2", "--jobs=3", "--jobs", "0", "."],
    ["lint", "-f", "json", "--format=sarif", "-fgithub", "."],
    ["lint", "--select=a", "--select", "b", "--ignore=c,d", "--ignore", "e", "."],
    ["lint", "--policy=p/", "--policy", "q.yaml", "--report=sarif=k.sarif", "."],
    ["lint", "--no-color", "--color", "--no-force-exclude", "--force-exclude", "."],
    ["lint", "--", "-odd-name.yaml", "--", "-", "--no-cache"],
    ["lint", "a.yaml", "--", "-j1"],
    ["lint", "-f", "json", "--"],  # `--` and no path: the default
    ["lint", "--"],
    ["lint", "--max-file-size=1", "--stdin-filename=", "-"],
]


@pytest.mark.parametrize("argv", COMMAND_LINES, ids=" ".join)
def test_the_same_arguments_as_typer(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = fastcli.parse_lint(argv)
    assert parsed is not None, argv
    assert parsed == typer_arguments(argv, monkeypatch)


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["plan", "."],
        ["rules"],
        ["lint", "--help"],
        ["lint", "-h"],
        ["lint", "-f=json", "."],  # click reads the format "=json"
        ["lint", "-j=1", "."],
        ["lint", "-vh"],
        ["lint", "-vx", "."],
        ["lint", "-v=", "."],
        ["lint", "-v-", "."],
        ["lint", "-j-1", "."],
        ["lint", "-jtwo", "."],
        ["lint", "-j"],
        ["lint", "-vf"],
        ["lint", "-f--", "."],
        ["lint", "-f", "--", "."],  # click takes `--` as the format
        ["lint", "-o", "--", "."],
        ["lint", "--jobs", "+1", "."],
        ["lint", "--color=yes", "."],
        ["lint", "-f-x", "."],
        ["lint", "--form", "json", "."],  # an abbreviation
        ["lint", "--unknown", "."],
        ["lint", "--format"],  # no value
        ["lint", "--format", "--no-cache", "."],  # a value that looks like an option
        ["lint", "--jobs", "-1", "."],
        ["lint", "--jobs", "two", "."],
        ["lint", "--max-file-size", "0", "."],
        ["lint", "--jobs", "\uff13", "."],  # a digit, not an ASCII one
        ["lint", "--no-cache=yes", "."],
        ["lint", "--output", "", "."],
        ["lint", "--version"],
    ],
    ids=lambda argv: " ".join(argv) or "(empty)",
)
def test_declines_what_typer_must_judge(argv: list[str]) -> None:
    assert fastcli.parse_lint(argv) is None


def test_declines_a_shell_completion_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_KPOLICY_COMPLETE", "bash_source")
    assert fastcli.parse_lint(["lint", "."]) is None


def test_a_fast_run_prints_what_typer_prints(tmp_path: Path) -> None:
    """The same bytes and exit code through the entry point, parsed here or by typer."""
    import subprocess
    import sys

    manifest = tmp_path / "web.yaml"
    manifest.write_text(
        (Path(__file__).resolve().parent.parent / "examples" / "web.yaml").read_text()
    )
    fast = ["lint", "--no-cache", "-f", "json", "web.yaml"]
    slow = ["lint", "--no-cache", "-f", "json", "-j", "+0", "web.yaml"]  # typer parses "+0"
    assert fastcli.parse_lint(fast) is not None and fastcli.parse_lint(slow) is None
    runs = [
        subprocess.run(
            [sys.executable, "-m", "kpolicy", *argv], cwd=tmp_path, capture_output=True, text=True
        )
        for argv in (fast, slow)
    ]
    assert runs[0].returncode == runs[1].returncode == 1
    assert runs[0].stdout == runs[1].stdout and '"selector-mismatch"' in runs[0].stdout
    assert runs[0].stderr == runs[1].stderr
