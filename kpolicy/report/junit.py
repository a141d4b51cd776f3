"""JUnit XML, as Jenkins, GitLab and Azure Pipelines read it.

One ``<testsuite>`` per file that was reported on, one ``<testcase>`` per object in it (named
``Kind namespace/name``, as in the text report), and one ``<failure>`` per finding on that
object. Findings that belong to no object (broken YAML, a duplicate key) go to a test case
named ``(file)``, which every suite has: "the file reads as manifests" passes or fails like the
objects do. I/O errors (an unreadable path) are ``<error>`` test cases in a suite named
``(errors)``.

The document follows the structure of the JUnit schema Jenkins validates against (the xunit
plugin's ``junit-10.xsd``): ``testsuites > testsuite > testcase > failure|error``, with the
required ``name``, ``tests``, ``failures`` and ``errors`` attributes on every suite, and no
attribute the schema does not declare (``file`` goes on the suite, since ``testcase`` has none).
GitLab shows a failure's text, not its ``message``, so the text carries the whole finding: the
place, the severity, the rule, the message and the rule's documentation.
"""

from __future__ import annotations

from typing import TextIO

from kpolicy.model import Diagnostic, LintResult, ObjectRef
from kpolicy.report import ReportContext
from kpolicy.report.text import format_line
from kpolicy.report.xmltext import DECLARATION, attribute, text

FILE_CASE = "(file)"
ERRORS_SUITE = "(errors)"

Cases = dict[ObjectRef | None, list[Diagnostic]]


def _suites(result: LintResult) -> dict[str, Cases]:
    """file → (object or None → its findings), in the order the files were read and the
    objects appear in them; a file or object that only the findings name comes last."""
    suites: dict[str, Cases] = {}
    for checked in result.checked:
        cases: Cases = suites.setdefault(checked.file, {None: []})
        for ref in checked.objects:
            cases.setdefault(ref, [])
    for diag in result.diagnostics:
        cases = suites.setdefault(diag.file, {None: []})
        cases.setdefault(diag.object, []).append(diag)
    return suites


def _failure(diag: Diagnostic, ctx: ReportContext) -> str:
    # two lines, the finding and its rule's documentation; each is escaped on its own, so a
    # line break from the input is shown, never taken for one of these
    body = text(format_line(diag))
    rule = ctx.rules.get(diag.rule)
    if rule is not None and rule.help_uri:
        body += f"\n{text(rule.help_uri)}"
    return (
        f'      <failure type="{attribute(diag.rule)}" '
        f'message="{attribute(f"{diag.severity.value}: {diag.message}")}">'
        f"{body}</failure>\n"
    )


def write(result: LintResult, ctx: ReportContext, out: TextIO) -> None:
    suites = _suites(result)
    total_tests = sum(len(cases) for cases in suites.values()) + len(result.errors)
    total_failures = sum(1 for cases in suites.values() for found in cases.values() if found)
    out.write(DECLARATION)
    out.write(
        f'<testsuites name="kpolicy" tests="{total_tests}" failures="{total_failures}" '
        f'errors="{len(result.errors)}">\n'
    )
    for file, cases in suites.items():
        failures = sum(1 for found in cases.values() if found)
        name = attribute(file)
        out.write(
            f'  <testsuite name="{name}" tests="{len(cases)}" failures="{failures}" '
            f'errors="0" skipped="0" file="{name}">\n'
        )
        for ref, found in cases.items():
            label = FILE_CASE if ref is None else ref.label()
            opening = f'    <testcase name="{attribute(label)}" classname="{name}"'
            if not found:
                out.write(opening + "/>\n")
                continue
            out.write(opening + ">\n")
            for diag in found:
                out.write(_failure(diag, ctx))
            out.write("    </testcase>\n")
        out.write("  </testsuite>\n")
    if result.errors:
        count = len(result.errors)
        out.write(
            f'  <testsuite name="{ERRORS_SUITE}" tests="{count}" failures="0" '
            f'errors="{count}" skipped="0">\n'
        )
        for error in result.errors:
            message = attribute(error)
            out.write(
                f'    <testcase name="{message}" classname="kpolicy">\n'
                f'      <error type="io-error" message="{message}">{text(error)}</error>\n'
                "    </testcase>\n"
            )
        out.write("  </testsuite>\n")
    out.write("</testsuites>\n")
