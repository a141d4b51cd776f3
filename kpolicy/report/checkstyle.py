"""Checkstyle XML, as Jenkins (warnings-ng), Azure DevOps, reviewdog and SonarQube read it.

``<checkstyle>`` holds a ``<file>`` for every file that was reported on, clean ones included
(as Checkstyle itself writes), and an ``<error>`` per finding with its line, column, severity
(Checkstyle's ``error``, ``warning`` and ``info`` are kpolicy's own), message (with the object,
as in the text report) and ``source``: ``kpolicy.rules.<rule-id>``.

Suppressed and baselined findings are left out, ``--show-suppressed`` or not: checkstyle has no
way to say that a finding does not count, and its readers would count it like any other.
"""

from __future__ import annotations

from typing import TextIO

from kpolicy.model import Diagnostic, LintResult
from kpolicy.report import ReportContext
from kpolicy.report.xmltext import DECLARATION, attribute

# Checkstyle itself writes its release number here; other linters' checkstyle writers (ESLint,
# detekt, SwiftLint) write 4.3, and no reader we know of checks it
FORMAT_VERSION = "4.3"


def _message(diag: Diagnostic) -> str:
    if diag.object is not None and diag.object.kind:
        return f"{diag.message} ({diag.object.label()})"
    return diag.message


def write(result: LintResult, ctx: ReportContext, out: TextIO) -> None:
    files: dict[str, list[Diagnostic]] = {checked.file: [] for checked in result.checked}
    for diag in result.diagnostics:
        files.setdefault(diag.file, []).append(diag)
    out.write(DECLARATION)
    out.write(f'<checkstyle version="{FORMAT_VERSION}">\n')
    for file, found in files.items():
        if not found:
            out.write(f'  <file name="{attribute(file)}"/>\n')
            continue
        out.write(f'  <file name="{attribute(file)}">\n')
        for diag in found:
            out.write(
                f'    <error line="{diag.span.line}" column="{diag.span.column}" '
                f'severity="{diag.severity.value}" message="{attribute(_message(diag))}" '
                f'source="kpolicy.rules.{attribute(diag.rule)}"/>\n'
            )
        out.write("  </file>\n")
    out.write("</checkstyle>\n")
