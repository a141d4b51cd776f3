"""GitHub Actions workflow commands, one per finding."""

from __future__ import annotations

from typing import TextIO

from kpolicy.model import LintResult, Severity
from kpolicy.report import ReportContext

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def write(result: LintResult, ctx: ReportContext, out: TextIO) -> None:
    for d in result.diagnostics:
        if d.origin is not None and d.origin.local is not None:
            # on the chart's template, where the fix goes (the rendered place is in the text)
            where = [f"file={_escape_property(d.origin.local)}", f"line={d.origin.line}"]
        else:
            where = [
                f"file={_escape_property(d.file)}",
                f"line={d.span.line}",
                f"col={d.span.column}",
                f"endLine={d.span.end_line}",
                f"endColumn={d.span.end_column}",
            ]
        props = ",".join([*where, f"title={_escape_property(d.rule)}"])
        message = d.message
        if d.origin is not None and d.origin.local is not None:
            message += f" (rendered at {d.file}:{d.span.line}:{d.span.column})"
        if d.object is not None and d.object.kind:
            message += f" ({d.object.label()})"
        out.write(f"::{_LEVEL[d.severity]} {props}::{_escape_data(message)}\n")
