"""``kpolicy lint`` command lines parsed without typer, for the start-up of a one-file run.

Importing typer (and click, inspect, subprocess, shutil...) is about a quarter of kpolicy's
start-up, which is what a pre-commit hook on one staged file pays. :func:`parse_lint` reads
``kpolicy lint`` command lines (the options of :func:`kpolicy.cli.lint`) as click's parser
(``typer._click.parser._OptionParser``) does: ``--name VALUE``, ``--name=VALUE``, ``-x VALUE``,
``-xVALUE``, grouped short options (``-vj1``: flags, then at most one option whose value is the
rest of the argument or the next one), ``--`` (what follows is paths), paths anywhere, the
last value of an option given twice winning and a repeatable option's values in order. It
gives the same keyword arguments typer would pass, and declines (None) anything else:
``--help``, an unknown or abbreviated option, a value that looks like an option or starts with
``=`` (``-f=json``: click reads "=json"), a number typer would refuse, an option without its
value. typer then parses the command line as before, with its own messages.
``tests/test_fastcli.py`` holds this table to the typer command and compares the arguments
both give on many command lines.
"""

from __future__ import annotations

import os

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
        if not raw:
            return None
        # only for a path option given: pathlib (with urllib.parse and ipaddress, 3 ms) is
        # not imported by a run that names none
        from pathlib import Path

        return Path(raw)
    return raw


def parse_lint(argv: list[str]) -> dict[str, Any] | None:
    """The keyword arguments of :func:`kpolicy.lintcmd.run` for ``kpolicy ARGV`` when ARGV is
    a ``kpolicy lint`` command line read as click reads it; None when typer should parse it."""
    if not argv or argv[0] != "lint" or any(k.startswith("_KPOLICY_COMPLETE") for k in os.environ):
        return None
    values: dict[str, Any] = dict(DEFAULTS)
    paths: list[str] = []
    args = argv[1:]
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            paths.extend(args[index:])  # click: the rest are arguments, `--` among them too
            break
        if arg == "-" or not arg.startswith("-"):
            paths.append(arg)
            continue
        if arg.startswith("--"):
            name_part, equals, attached = arg.partition("=")
            entry = _TABLE.get(name_part)
            if entry is None:
                return None  # --help, an unknown or abbreviated option
            name, kind, switch = entry
            if kind in ("flag", "bool"):
                if equals:
                    return None  # click: "does not take a value"
                values[name] = switch
                continue
            if equals:
                raw = attached
            elif index < len(args):
                raw = args[index]
                index += 1
            else:
                return None  # the value is missing: typer says so
            if not _store(values, name, kind, raw):
                return None
            continue
        # short options, grouped as click's _match_short_opt reads them: flags, then at most
        # one option taking the rest of the argument (-j1, -vfjson) or else the next one
        position = 1
        while position < len(arg):
            entry = _TABLE.get("-" + arg[position])
            position += 1
            if entry is None:
                return None  # -h, an unknown short option
            name, kind, switch = entry
            if kind in ("flag", "bool"):
                values[name] = switch
                continue
            if position < len(arg):
                raw = arg[position:]
                if raw.startswith("="):
                    return None  # -f=json: click reads "=json", surely not what was meant
            elif index < len(args):
                raw = args[index]
                index += 1
            else:
                return None
            if not _store(values, name, kind, raw):
                return None
            break
    values["paths"] = paths or None
    return values


def _store(values: dict[str, Any], name: str, kind: str, raw: str) -> bool:
    """Set (or, for a repeatable option, add) option ``name``'s value from ``raw``; False
    when typer should judge it (a value that looks like an option, one it might refuse)."""
    if raw.startswith("-") and raw != "-":
        return False
    value = _value(kind, raw)
    if value is None:
        return False
    if kind.startswith("list"):
        values[name] = [*(values[name] or []), value]
    else:
        values[name] = value
    return True
