"""The JSON report described by ``schemas/report.schema.json``."""

from __future__ import annotations

from typing import Any, TextIO

from kpolicy.model import Diagnostic, LintResult
from kpolicy.report import ReportContext, write_json_lines


def to_json(result: LintResult, ctx: ReportContext) -> dict[str, Any]:
    report: dict[str, Any] = {
        "version": 1,
        "tool": {"name": "kpolicy", "version": ctx.tool_version},
        "kubernetesVersion": result.kubernetes_version,
        "diagnostics": [d.to_json() for d in result.diagnostics],
        "summary": result.summary.to_json(),
    }
    if ctx.show_suppressed:
        report["suppressed"] = [_hidden(d) for d in result.suppressed]
        if result.baseline_file is not None:
            report["baselined"] = [_hidden(d) for d in result.baselined]
    if result.baseline_file is not None:
        report["baseline"] = result.baseline_file
    if result.errors:
        report["errors"] = list(result.errors)
    if result.warnings:
        report["warnings"] = list(result.warnings)
    return report


def _hidden(diag: Diagnostic) -> dict[str, Any]:
    """A suppressed or baselined finding: what hid it (``suppressedBy``: comment, annotation,
    exemption or baseline) and the reason given with it (``justification``)."""
    data = diag.to_json()
    if diag.suppression is not None:
        data["suppressedBy"] = diag.suppression.kind
        if diag.suppression.justification:
            data["justification"] = diag.suppression.justification
    return data


def write(result: LintResult, ctx: ReportContext, out: TextIO) -> None:
    # one finding per line: the top level and its lists laid out, each member on one line
    write_json_lines(to_json(result, ctx), out, expand=2)
