"""``kpolicy lint`` command lines parsed without typer, for the start-up of a one-file run.

Importing typer (and click, inspect, subprocess, shutil...) is about a quarter of kpolicy's
start-up, which is what a pre-commit hook on one staged file pays. :func:`parse_lint` reads
the plain command lines of ``kpolicy lint`` (the options of :func:`kpolicy.cli.lint`, each
given as ``--name VALUE``, ``--name=VALUE`` or ``-x VALUE``, paths anywhere) into the same
keyword arguments typer would pass, and declines (None) anything else: ``--help``, an unknown
option, ``--``, joined short options, a value that looks like an option, a number typer would
refuse, an option given without its value. typer then parses the command line as before, with
its own messages. ``tests/test_fastcli.py`` holds this table to the typer command and
compares the arguments both give on many command lines.
"""

from __future__ import annotations

import os
from pathlib import Path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Final

# parameter: (option strings, kind); kinds: "str", "path", "int>=N", "flag" (True when given),
# "list" (repeatable str), "list-path" (repeatable path), and for "--x/--no-x" pairs "bool"
_OPTIONS: Final[dict[str, tuple[tuple[str, ...], str]]] = {
    "output_format": (("--format", "-f"), "str"),
    "output": (("--output", "-o"), "path"),
    "report_files": (("--report",), "list"),
    "config": (("--config", "-c"), "path"),
    "select": (("--select",), "list"),
    "ignore": (("--ignore",), "list"),
    "fail_on": (("--fail-on",), "str"),
    "context": (("--context",), "list"),
    "kubernetes_version": (("--kubernetes-version",), "str"),
    "cluster_domain": (("--cluster-domain",), "str"),
    "stdin_filename": (("--stdin-filename",), "str"),
    "policy": (("--policy",), "list-path"),
    "nodes": (("--nodes",), "path"),
    "feature_gates": (("--feature-gates",), "list"),
    "schema_dir": (("--schema-dir",), "path"),
    "max_file_size": (("--max-file-size",), "int>=1"),
    "show_suppressed": (("--show-suppressed",), "bool"),
    "baseline": (("--baseline",), "path"),
    "write_baseline": (("--write-baseline",), "path"),
    "show_skipped": (("--show-skipped", "-v"), "flag"),
    "kustomize": (("--kustomize",), "list"),
    "no_ignore": (("--no-ignore",), "flag"),
    "force_exclude": (("--force-exclude",), "bool"),
    "color": (("--color",), "bool"),
    "debug": (("--debug",), "bool"),
    "no_cache": (("--no-cache",), "flag"),
    "fix": (("--fix",), "flag"),
    "unsafe_fixes": (("--unsafe-fixes",), "flag"),
    "diff": (("--diff",), "flag"),
    "jobs": (("--jobs", "-j"), "int>=0"),
}
# what typer passes for an option not given
DEFAULTS: Final[dict[str, Any]] = {
    "paths": None,
    "output_format": "text",
    "output": None,
    "report_files": None,
    "config": None,
    "select": None,
    "ignore": None,
    "fail_on": None,
    "context": None,
    "kubernetes_version": None,
    "cluster_domain": None,
    "stdin_filename": "<stdin>",
    "policy": None,
    "nodes": None,
    "feature_gates": None,
    "schema_dir": None,
    "max_file_size": None,
    "show_suppressed": False,
    "baseline": None,
    "write_baseline": None,
    "show_skipped": False,
    "kustomize": None,
    "no_ignore": False,
    "force_exclude": None,
    "color": None,
    "debug": False,
    "no_cache": False,
    "fix": False,
    "unsafe_fixes": False,
    "diff": False,
    "jobs": 0,
}


def _table() -> dict[str, tuple[str, str, bool]]:
    """Option string → (parameter, kind, value of a bool pair's switch)."""
    table: dict[str, tuple[str, str, bool]] = {}
    for name, (strings, kind) in _OPTIONS.items():
        for string in strings:
            table[string] = (name, kind, True)
        if kind == "bool":
            table["--no-" + strings[0][2:]] = (name, kind, False)
    return table


_TABLE: Final = _table()


def _value(kind: str, raw: str) -> Any:
    """The typed value, or None when typer might judge it otherwise (it then parses)."""
    if kind.startswith("int>="):
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
            return None
        number = int(raw)
        return number if number >= int(kind[5:]) else None
    if kind in ("path", "list-path"):
        return Path(raw) if raw else None
    return raw


def parse_lint(argv: list[str]) -> dict[str, Any] | None:
    """The keyword arguments of :func:`kpolicy.lintcmd.run` for ``kpolicy ARGV`` when ARGV is
    a plain ``lint`` command line; None when typer should parse it."""
    if not argv or argv[0] != "lint" or any(k.startswith("_KPOLICY_COMPLETE") for k in os.environ):
        return None
    values: dict[str, Any] = dict(DEFAULTS)
    paths: list[str] = []
    args = argv[1:]
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "-" or not arg.startswith("-"):
            paths.append(arg)
            continue
        name_part, equals, attached = arg.partition("=")
        if equals and not name_part.startswith("--"):
            return None  # -f=json: click reads the value as "=json"
        entry = _TABLE.get(name_part)
        if entry is None:
            return None  # --help, --, -fjson, an unknown or abbreviated option
        name, kind, switch = entry
        if kind in ("flag", "bool"):
            if equals:
                return None
            values[name] = switch
            continue
        if equals:
            raw = attached
        else:
            if index >= len(args):
                return None  # the value is missing: typer says so
            raw = args[index]
            index += 1
        if raw.startswith("-") and raw != "-":
            return None
        value = _value(kind, raw)
        if value is None:
            return None
        if kind.startswith("list"):
            values[name] = [*(values[name] or []), value]
        else:
            values[name] = value
    values["paths"] = paths or None
    return values
