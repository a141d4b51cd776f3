"""Baselines: the findings a repository already has, so that CI fails only on new ones.

``kpolicy lint PATHS --write-baseline FILE`` writes every finding of the run to FILE, a JSON
document described by ``schemas/baseline.schema.json``, one finding per line, sorted by file,
rule, object, JSON path and message (never by line: a moved line changes nothing in it), so
that it reads and diffs well in a pull request. Each entry names the rule, the file (relative
to the baseline's folder, with ``/``), the object (kind, namespace, name), the JSON path in the
object, the message, and a fingerprint (the SARIF ``partialFingerprints`` recipe: rule, file,
path and object) that a reviewer or a script can use as the finding's identity.

``--baseline FILE`` (or ``baseline:`` in config) reports only the findings that the baseline
does not list. A finding matches an entry with the same rule, file, object, path and message,
wherever its line is now (a line number inside a message is not compared); each entry matches one finding, so two identical findings need two
entries. An entry that matches no finding is *fixed* when kpolicy checked its file with its rule
in this run (or the file, or the rule, is gone): the baseline can then shrink. Entries of files
or rules that the run did not check (pre-commit on a few files, ``--select``) are neither.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from functools import cache
from pathlib import Path

from kpolicy.errors import UsageError
from kpolicy.lazyre import lazy_compile
from kpolicy.model import BaselineEntry, Diagnostic
from kpolicy.records import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

BASELINE_VERSION = 1
MAX_BASELINE_BYTES = 64 * 1024 * 1024

Key = tuple[str, str, tuple[str | None, str | None, str | None] | None, str, str]


@record(frozen=True)
class Baseline:
    """A loaded baseline: the file as given, the folder its file names are relative to (an
    absolute path) and its entries."""

    path: Path
    folder: str
    entries: tuple[BaselineEntry, ...]


# a message that names a line of the file ("duplicate key 'a' (first at line 12)") matches
# whatever the number is now: lines added above must not make it new
_LINE_NUMBER = lazy_compile(r"\bline \d+")


def _key(entry: BaselineEntry) -> Key:
    message = entry.message
    if "line " in message:
        message = _LINE_NUMBER.sub("line N", message)
    return (entry.rule, entry.file, entry.object, entry.path, message)


def _is_stream(display: str) -> bool:
    """A name that is not a path: ``<stdin>`` (a --stdin-filename is a path)."""
    return display.startswith("<") and display.endswith(">")


def relative_file(display: str, cwd: str, folder: str) -> str:
    """A finding's file (as reported: relative to ``cwd``, or absolute) relative to the
    baseline's ``folder``, with ``/``."""
    if _is_stream(display):
        return display
    absolute = os.path.normpath(os.path.join(cwd, display))
    try:
        relative = os.path.relpath(absolute, folder)
    except ValueError:  # another drive
        relative = absolute
    return relative.replace(os.sep, "/")


def place_of(diag: Diagnostic) -> tuple[str, str]:
    """The file (as displayed) and JSON path a baseline lists a finding at: where the rule
    found it, also when it is shown on another file (a context object's finding in a
    pre-commit run is the same finding as in a run on the whole repository)."""
    return diag.found_at if diag.found_at is not None else (diag.file, diag.path)


def entry_of(diag: Diagnostic, file: str) -> BaselineEntry:
    """``diag``'s entry; ``file``: its :func:`place_of` file relative to the baseline."""
    obj = diag.object
    ref = (obj.kind, obj.namespace, obj.name) if obj is not None else None
    path = diag.found_at[1] if diag.found_at is not None else diag.path
    return BaselineEntry(diag.rule, file, ref, path, diag.message)


def fingerprint(entry: BaselineEntry) -> str:
    """The SARIF fingerprint's recipe on the entry's fields: rule, file, path and object (the
    message where there is no object); no line."""
    import hashlib  # OpenSSL, 2.5 ms of a start-up: only when a fingerprint is written

    parts = [entry.rule, entry.file, entry.path]
    if entry.object is not None:
        parts += [p or "" for p in entry.object]
    else:
        parts.append(entry.message)
    data = "\x1f".join(parts).encode("utf-8", "surrogateescape")
    return hashlib.sha256(data).hexdigest()[:32]


def _order(entry: BaselineEntry) -> tuple[Any, ...]:
    ref = tuple(p or "" for p in entry.object) if entry.object is not None else ("", "", "")
    return (entry.file, entry.rule, ref, entry.path, entry.message)


def to_json(entries: Iterable[BaselineEntry]) -> dict[str, Any]:
    findings = []
    for entry in sorted(entries, key=_order):
        ref = None
        if entry.object is not None:
            kind, namespace, name = entry.object
            ref = {"kind": kind, "namespace": namespace, "name": name}
        findings.append(
            {
                "file": entry.file,
                "rule": entry.rule,
                "object": ref,
                "path": entry.path,
                "message": entry.message,
                "fingerprint": fingerprint(entry),
            }
        )
    return {"version": BASELINE_VERSION, "tool": "kpolicy", "findings": findings}


def write_baseline(path: Path, diagnostics: Sequence[Diagnostic], cwd: Path) -> Baseline:
    """Write ``diagnostics`` to ``path`` as a baseline (atomically, never through a link at
    the target); the baseline written."""
    import io

    from kpolicy.fsutil import OutputError, write_output
    from kpolicy.report import write_json_lines

    folder = os.path.dirname(os.path.abspath(os.path.join(cwd, path)))
    files: dict[str, str] = {}
    entries = []
    for diag in diagnostics:
        display = place_of(diag)[0]
        file = files.get(display)
        if file is None:
            file = files[display] = relative_file(display, str(cwd), folder)
        entries.append(entry_of(diag, file))
    text = io.StringIO()
    write_json_lines(to_json(entries), text, expand=2)
    try:
        write_output(path, text.getvalue())
    except OutputError as exc:
        raise UsageError(f"--write-baseline {exc}") from None
    return Baseline(path, folder, tuple(entries))


@cache
def _validator() -> Any:
    import jsonschema

    from kpolicy.resources import data_dir

    schema = json.loads((data_dir("schemas") / "baseline.schema.json").read_text())
    return jsonschema.validators.validator_for(schema)(schema)


def load_baseline(path: Path, cwd: Path) -> Baseline:
    """The baseline at ``path`` (relative to ``cwd``); a missing, unreadable or invalid file
    is a usage error."""
    from kpolicy.fsutil import NotRegular, TooLarge, read_regular

    where = os.path.join(cwd, path)
    try:
        raw = read_regular(where, MAX_BASELINE_BYTES)
    except FileNotFoundError:
        raise UsageError(
            f"{path}: baseline not found (write one with --write-baseline {path})"
        ) from None
    except NotRegular:
        raise UsageError(f"{path}: cannot read the baseline: not a regular file") from None
    except TooLarge:
        raise UsageError(
            f"{path}: cannot read the baseline: larger than {MAX_BASELINE_BYTES} bytes"
        ) from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the baseline: {exc.strerror or exc}") from None
    except ValueError:
        raise UsageError(f"{path}: cannot read the baseline: invalid file name") from None
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise UsageError(f"{path}: invalid baseline: not UTF-8 text") from None
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        at = f":{line}" if line else ""
        reason = getattr(exc, "msg", str(exc))
        raise UsageError(f"{path}{at}: invalid baseline: {reason} (not JSON)") from None
    errors = sorted(_validator().iter_errors(data), key=lambda e: [str(p) for p in e.path])
    if errors:
        error = errors[0]
        at = "/".join(str(p) for p in error.absolute_path) or "top level"
        message = error.message if len(error.message) <= 200 else error.message[:200] + "..."
        raise UsageError(
            f"{path}: invalid baseline at {at}: {message} (see schemas/baseline.schema.json)"
        )
    entries = []
    for item in data["findings"]:
        obj = item["object"]
        ref = (obj["kind"], obj["namespace"], obj["name"]) if obj is not None else None
        entries.append(
            BaselineEntry(item["rule"], item["file"], ref, item["path"], item["message"])
        )
    folder = os.path.dirname(os.path.abspath(where))
    return Baseline(path, folder, tuple(entries))


def _below(file: str) -> bool:
    """A file name inside the baseline's folder (the only ones whose existence is looked at:
    a baseline cannot make kpolicy probe paths elsewhere)."""
    parts = file.split("/")
    return (
        not _is_stream(file) and not os.path.isabs(file) and ".." not in parts and "" not in parts
    )


def apply_baseline(
    baseline: Baseline,
    findings: Sequence[Diagnostic],
    checked: Iterable[str],
    ran: Collection[str],
    known: Collection[str],
    cwd: Path,
) -> tuple[list[Diagnostic], list[Diagnostic], list[BaselineEntry]]:
    """Split ``findings`` (sorted) into those the baseline does not list and those it does;
    and the baseline's fixed entries. ``checked``: the files the run reported on (as
    displayed); ``ran``: the rules that ran; ``known``: every rule of the run."""
    remaining: Counter[Key] = Counter(_key(e) for e in baseline.entries)
    files: dict[str, str] = {}
    base = str(cwd)

    def file_of(display: str) -> str:
        found = files.get(display)
        if found is None:
            found = files[display] = relative_file(display, base, baseline.folder)
        return found

    new: list[Diagnostic] = []
    listed: list[Diagnostic] = []
    for diag in findings:
        key = _key(entry_of(diag, file_of(place_of(diag)[0])))
        if remaining[key] > 0:
            remaining[key] -= 1
            listed.append(diag)
        else:
            new.append(diag)
    checked_files = {file_of(display) for display in checked}
    fixed: list[BaselineEntry] = []
    left = +remaining
    for entry in sorted(baseline.entries, key=_order):
        key = _key(entry)
        if left[key] <= 0:
            continue
        gone = entry.rule not in known or (
            _below(entry.file) and not os.path.lexists(os.path.join(baseline.folder, entry.file))
        )
        if gone or (entry.rule in ran and entry.file in checked_files):
            left[key] -= 1
            fixed.append(entry)
    return new, listed, fixed
