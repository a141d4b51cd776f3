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

Suppressed and baselined findings are not failures: a suite counts them in its
``<properties>`` (``kpolicy.suppressed``, ``kpolicy.baselined``; written only when one is not
zero), which the schema allows before the test cases. They are not ``<skipped>`` test cases:
the object was checked, and the team decided the finding does not count. The baseline's fixed
entries belong to the run, not to a file, and JUnit has no place for them (the text, JSON and
SARIF reports count them).
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


def _hidden_counts(result: LintResult) -> dict[str, dict[str, int]]:
    """file → property name → how many of its findings were suppressed or baselined."""
    counts: dict[str, dict[str, int]] = {}
    for name, found in (
        ("kpolicy.suppressed", result.suppressed),
        ("kpolicy.baselined", result.baselined),
    ):
        for diag in found:
            per_file = counts.setdefault(diag.file, {})
            per_file[name] = per_file.get(name, 0) + 1
    return counts


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
    hidden = _hidden_counts(result)
    for file in hidden:
        suites.setdefault(file, {None: []})  # a file whose every finding is hidden
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
        properties = hidden.get(file)
        if properties:
            out.write("    <properties>\n")
            for key, count in properties.items():
                out.write(f'      <property name="{key}" value="{count}"/>\n')
            out.write("    </properties>\n")
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
