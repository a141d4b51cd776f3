"""GitLab Code Quality: a JSON array of issues (GitLab's subset of the Code Climate format),
shown in merge requests when a job publishes it as ``artifacts:reports:codequality``.

Each issue has ``description`` (the message and the object, escaped as in the text report),
``check_name`` (the rule id), ``fingerprint``, ``severity`` and ``location`` (``path`` and
``lines.begin``).

- **severity**: GitLab's scale is info, minor, major, critical, blocker. kpolicy's ``error``
  (the API server rejects the object, or it cannot work) is ``critical``, ``warning`` (it works
  but is very likely a mistake) is ``major``, and ``info`` is ``info``. ``blocker`` is left to
  the team's own judgement of what blocks a merge (``--fail-on``).
- **fingerprint**: GitLab compares a merge request's issues with the target branch's by
  fingerprint, and shows only the first of two issues with the same one. It is the SARIF
  fingerprint (rule, file, object, JSON path and related objects: it survives moved lines), with a number added
  when several findings share it (in report order), so that none is hidden.

Suppressed and baselined findings are left out, ``--show-suppressed`` or not: Code Quality has
no suppressed state, and a merge request would show each as an issue.
"""

from __future__ import annotations

import hashlib
from typing import Any, TextIO

from kpolicy import escape
from kpolicy.model import LintResult, Severity
from kpolicy.report import ReportContext, fingerprint, write_json_lines

SEVERITY = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}


def _path(file: str) -> str:
    path = file.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path


def to_gitlab(result: LintResult) -> list[dict[str, Any]]:
    issues: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for diag in result.diagnostics:
        base = fingerprint(diag)
        count = seen.get(base, 0)
        seen[base] = count + 1
        if count:
            base = hashlib.sha256(f"{base}\x1f{count}".encode()).hexdigest()[:32]
        description = diag.message
        if diag.object is not None and diag.object.kind:
            description += f" ({diag.object.label()})"
        issues.append(
            {
                "description": escape.text(description),
                "check_name": diag.rule,
                "fingerprint": base,
                "severity": SEVERITY[diag.severity],
                "location": {
                    "path": escape.text(_path(diag.file)),
                    "lines": {"begin": diag.span.line},
                },
            }
        )
    return issues


def write(result: LintResult, ctx: ReportContext, out: TextIO) -> None:
    # one issue per line, like the JSON report
    write_json_lines(to_gitlab(result), out, expand=1)
