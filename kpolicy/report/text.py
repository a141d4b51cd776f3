"""Compiler-style lines: ``path:line:col: severity[rule-id] message (Kind ns/name)``."""

from __future__ import annotations

from kpolicy import escape
from kpolicy.discover import group_words
from kpolicy.model import SORT_KEY, Diagnostic, LintResult, Severity
from kpolicy.report import ReportContext

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing (with contextlib) is not imported by a run in the default format
    from typing import TextIO

_COLORS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}
_RESET = "\033[0m"
_BOLD = "\033[1m"


def format_line(diag: Diagnostic, color: bool = False) -> str:
    """One finding, always one line: every part from the input is escaped (kpolicy.escape)."""
    where = f"{escape.path(diag.file)}:{diag.span.line}:{diag.span.column}:"
    level = f"{diag.severity.value}[{escape.text(diag.rule)}]"
    if color:
        where = f"{_BOLD}{where}{_RESET}"
        level = f"{_COLORS[diag.severity]}{level}{_RESET}"
    line = f"{where} {level} {escape.text(diag.message)}"
    if diag.object is not None and diag.object.kind:
        line += f" ({escape.text(diag.object.label())})"
    if diag.origin is not None:
        origin = escape.text(diag.origin.local or diag.origin.file)
        line += f" [from {origin}:{diag.origin.line}]"
    suppression = diag.suppression
    if suppression is not None:
        if suppression.kind == "baseline":
            line += " [baselined]"
        elif suppression.justification:
            line += f" [suppressed: {escape.text(suppression.justification)}]"
        else:
            line += " [suppressed]"
    return line


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# fixed baseline entries listed in the text report; the rest are counted
MAX_FIXED_SHOWN = 10


def write(result: LintResult, ctx: ReportContext, out: TextIO) -> None:
    shown = list(result.diagnostics)
    if ctx.show_suppressed:
        shown = sorted([*shown, *result.suppressed, *result.baselined], key=SORT_KEY)
    for diag in shown:
        out.write(format_line(diag, ctx.color) + "\n")
    if ctx.show_skipped:
        for item in result.skipped:
            out.write(f"{escape.path(item.file)}: skipped: {escape.text(item.reason)}\n")
    s = result.summary
    fixed = result.fixed_baseline
    if fixed:
        out.write(
            f"note: {len(fixed)} {'entry' if len(fixed) == 1 else 'entries'} of the baseline "
            f"{escape.path(result.baseline_file or '')} "
            f"{'matches' if len(fixed) == 1 else 'match'} no finding any more (fixed); write "
            "the baseline again (--write-baseline) to drop "
            f"{'it' if len(fixed) == 1 else 'them'}:\n"
        )
        for entry in fixed[:MAX_FIXED_SHOWN]:
            out.write(f"  fixed: {escape.text(entry.label())}\n")
        if len(fixed) > MAX_FIXED_SHOWN:
            out.write(f"  and {len(fixed) - MAX_FIXED_SHOWN} more\n")
    parts = [_plural(s.errors, "error"), _plural(s.warnings, "warning"), _plural(s.infos, "info")]
    hidden = f"{s.suppressed} suppressed"
    if s.fixed_baseline_entries is not None:
        hidden += f", {s.baselined} baselined"
    summary = (
        f"{', '.join(parts)} in {_plural(s.files, 'file')} "
        f"({_plural(s.objects, 'object')}, {hidden}; "
        f"Kubernetes {result.kubernetes_version})"
    )
    out.write(summary + skipped_summary(result) + "\n")


def skipped_summary(result: LintResult) -> str:
    """``, 3 files skipped: not Kubernetes manifests`` (by group when there are several);
    ``, 1 file skipped: not a Kubernetes manifest``."""
    if not result.skipped:
        return ""
    groups: dict[str, int] = {}
    for item in result.skipped:
        groups[item.group] = groups.get(item.group, 0) + 1
    total = _plural(len(result.skipped), "file")
    if len(groups) == 1:
        return f", {total} skipped: {group_words(*next(iter(groups.items())))}"
    parts = ", ".join(f"{count} {group_words(group, count)}" for group, count in groups.items())
    return f", {total} skipped ({parts})"
