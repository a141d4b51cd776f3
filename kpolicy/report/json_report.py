"""The JSON report described by ``schemas/report.schema.json``."""

from __future__ import annotations

from typing import Any, TextIO

from kpolicy import escape
from kpolicy.model import Diagnostic, LintResult
from kpolicy.report import ReportContext, write_json_lines


def _diagnostic(diag: Diagnostic) -> dict[str, Any]:
    """A finding as JSON; its message and file name escaped as in the text format (the object's
    fields stay exact: JSON escapes them, and the output is ASCII)."""
    data: dict[str, Any] = diag.to_json()
    data["message"] = escape.text(diag.message)
    data["file"] = escape.text(diag.file)
    if diag.origin is not None:
        data["origin"]["file"] = escape.text(diag.origin.file)
        if diag.origin.local is not None:
            data["origin"]["localFile"] = escape.text(diag.origin.local)
    return data


def to_json(result: LintResult, ctx: ReportContext) -> dict[str, Any]:
    report: dict[str, Any] = {
        "version": 1,
        "tool": {"name": "kpolicy", "version": ctx.tool_version},
        "kubernetesVersion": result.kubernetes_version,
        "diagnostics": [_diagnostic(d) for d in result.diagnostics],
        "summary": result.summary.to_json(),
    }
    if ctx.show_suppressed:
        report["suppressed"] = [_hidden(d) for d in result.suppressed]
        if result.baseline_file is not None:
            report["baselined"] = [_hidden(d) for d in result.baselined]
    if result.baseline_file is not None:
        report["baseline"] = escape.text(result.baseline_file)
    if ctx.show_skipped:
        report["skipped"] = [
            {**item.to_json(), "file": escape.text(item.file), "reason": escape.text(item.reason)}
            for item in result.skipped
        ]
    if result.errors:
        report["errors"] = [escape.text(error) for error in result.errors]
    if result.warnings:
        report["warnings"] = [escape.text(warning) for warning in result.warnings]
    return report


def _hidden(diag: Diagnostic) -> dict[str, Any]:
    """A suppressed or baselined finding: what hid it (``suppressedBy``: comment, annotation,
    exemption or baseline) and the reason given with it (``justification``)."""
    data = _diagnostic(diag)
    if diag.suppression is not None:
        data["suppressedBy"] = diag.suppression.kind
        if diag.suppression.justification:
            data["justification"] = escape.text(diag.suppression.justification)
    return data


def write(result: LintResult, ctx: ReportContext, out: TextIO) -> None:
    # one finding per line: the top level and its lists laid out, each member on one line
    write_json_lines(to_json(result, ctx), out, expand=2)
