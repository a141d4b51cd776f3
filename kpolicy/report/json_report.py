"""The JSON report described by ``schemas/report.schema.json``."""

from __future__ import annotations

from typing import Any, TextIO

from kpolicy.model import LintResult
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
        report["suppressed"] = [d.to_json() for d in result.suppressed]
    if ctx.show_skipped:
        report["skipped"] = [item.to_json() for item in result.skipped]
    if result.errors:
        report["errors"] = list(result.errors)
    return report


def write(result: LintResult, ctx: ReportContext, out: TextIO) -> None:
    # one finding per line: the top level and its lists laid out, each member on one line
    write_json_lines(to_json(result, ctx), out, expand=2)
