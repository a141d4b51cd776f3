"""GitHub Actions workflow commands, one per finding."""

from __future__ import annotations

from typing import TextIO

from kpolicy.escape import github_data as _escape_data
from kpolicy.escape import github_property as _escape_property
from kpolicy.model import LintResult, Severity
from kpolicy.report import ReportContext

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


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
