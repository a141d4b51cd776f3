"""``kpolicy lint --fix`` and ``--diff``: fixes applied in rounds, each round re-linting the
fixed text, until a round fixes nothing (at most ``MAX_ROUNDS``), so that what is left is what
a second ``--fix`` would leave alone. Nothing is written before the last round; ``--diff``
writes nothing at all."""

from __future__ import annotations

import difflib
import os
import stat
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from kpolicy.fix.text import apply_fixes
from kpolicy.lint import LintOptions, Session, lint
from kpolicy.load import decode
from kpolicy.model import Diagnostic, Fix, LintResult

MAX_ROUNDS = 5
_UTF8_BOM = b"\xef\xbb\xbf"


@dataclass
class FixedFile:
    display: str
    path: Path | None  # None: stdin
    original: str
    text: str
    bom: bool = False

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                self.original.splitlines(keepends=True),
                self.text.splitlines(keepends=True),
                fromfile=f"a/{self.display}",
                tofile=f"b/{self.display}",
            )
        )


@dataclass
class FixOutcome:
    result: LintResult
    traces: list[str]
    files: dict[str, FixedFile] = field(default_factory=dict)  # files changed, by display
    fixed: Counter[str] = field(default_factory=Counter)  # findings fixed, by rule
    applied: dict[str, list[Fix]] = field(default_factory=dict)  # fixes applied, by file
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> list[FixedFile]:
        return [f for f in self.files.values() if f.text != f.original]


def allowed(fix: Fix | None, unsafe: bool) -> bool:
    if fix is None or fix.applicability == "display-only":
        return False
    return unsafe or fix.applicability == "safe"


def read_fixable(
    display: str, base: Path, stdin_name: str, stdin_text: str | None
) -> FixedFile | str:
    """The file's text as linted, or why it is not fixed."""
    if stdin_text is not None and display == stdin_name:
        return FixedFile(display, None, stdin_text, stdin_text)
    path = base / display
    try:
        status = path.lstat()
        if stat.S_ISLNK(status.st_mode):
            return f"{display}: not fixed: a symbolic link"
        if not stat.S_ISREG(status.st_mode):
            return f"{display}: not fixed: not a regular file"
        data = path.read_bytes()
    except OSError as exc:
        return f"{display}: not fixed: {exc.strerror or exc}"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return f"{display}: not fixed: UTF-16 text"
    text, error, _ = decode(data)
    if text is None:
        return f"{display}: not fixed: {error}"
    return FixedFile(display, path, text, text, bom=data.startswith(_UTF8_BOM))


def _key(fix: Fix) -> str:
    return repr((fix.file, fix.edits, fix.expect))


def run_fixes(options: LintOptions, session: Session, unsafe: bool) -> FixOutcome:
    """Lint, apply the allowed fixes of the unsuppressed findings, and again, until a round
    fixes nothing; the outcome's result is the lint of the fixed text."""
    base = options.cwd or Path.cwd()
    outcome: FixOutcome | None = None
    files: dict[str, FixedFile] = {}
    refused: dict[str, str] = {}
    fixed: Counter[str] = Counter()
    applied_fixes: dict[str, list[Fix]] = {}
    for _round in range(MAX_ROUNDS + 1):
        texts = {d: f.text for d, f in files.items() if f.path is not None}
        stdin = next((f.text for f in files.values() if f.path is None), options.stdin_text)
        result, traces = lint(replace(options, texts=texts, stdin_text=stdin), session)
        outcome = FixOutcome(result, traces, files, fixed, applied=applied_fixes)
        if _round == MAX_ROUNDS or traces:
            break
        reported = {c.file for c in result.checked}
        wanted: dict[str, list[tuple[Fix, list[Diagnostic]]]] = {}
        keys: dict[str, int] = {}
        for diagnostic in result.diagnostics:
            fix = diagnostic.fix
            if not allowed(fix, unsafe) or diagnostic.origin is not None:
                continue
            assert fix is not None
            target = fix.file or diagnostic.file
            if target not in reported or target in refused:
                continue
            group = wanted.setdefault(target, [])
            key = target + "\0" + _key(fix)
            if key in keys:
                group[keys[key]][1].append(diagnostic)
            else:
                keys[key] = len(group)
                group.append((fix, [diagnostic]))
        changed = False
        for display, group in wanted.items():
            current = files.get(display)
            if current is None:
                read = read_fixable(display, base, options.stdin_filename, options.stdin_text)
                if isinstance(read, str):
                    refused[display] = read
                    continue
                current = files[display] = read
            new_text, applied = apply_fixes(current.text, [fix for fix, _ in group])
            if not applied or new_text == current.text:
                continue
            current.text = new_text
            changed = True
            applied_fixes.setdefault(display, []).extend(applied)
            done = {_key(f) for f in applied}
            for fix, diagnostics in group:
                if _key(fix) in done:
                    fixed.update(d.rule for d in diagnostics)
        if not changed:
            break
    assert outcome is not None
    outcome.warnings.extend(refused.values())
    return outcome


def write_fixed(files: Sequence[FixedFile]) -> list[str]:
    """Replace each changed file atomically (a new file in its folder, renamed over it), with
    its mode and byte order mark kept; the errors, one line each."""
    errors: list[str] = []
    for fixed in files:
        if fixed.path is None or fixed.text == fixed.original:
            continue
        path = fixed.path
        try:
            status = path.lstat()
            if not stat.S_ISREG(status.st_mode):
                errors.append(f"{fixed.display}: not written: no longer a regular file")
                continue
            data = (_UTF8_BOM if fixed.bom else b"") + fixed.text.encode("utf-8")
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".kpolicy-fix-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.chmod(temporary, stat.S_IMODE(status.st_mode))
                os.replace(temporary, path)
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError as exc:
            errors.append(f"{fixed.display}: not written: {exc.strerror or exc}")
    return errors
