"""Pipeline behaviour between rules: overlapping findings, internal errors' level."""

from __future__ import annotations

from tests.helpers import lint_text

NO_SELECTOR = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
"""

BAD_TOLERATION = """\
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  tolerations:
    - {key: a, operator: Exists, effect: Sometimes}
  containers:
    - name: p
      image: busybox:1.36
"""


def test_missing_selector_is_reported_once_by_the_specific_rule() -> None:
    result = lint_text(NO_SELECTOR)
    at_spec = [d for d in result.diagnostics if (d.span.line, d.span.column) == (5, 1)]
    assert [d.rule for d in at_spec] == ["selector-missing"]
    # with the specific rule off, the schema finding is still there
    result = lint_text(NO_SELECTOR, ignore=["selector-missing"])
    assert [d.rule for d in result.diagnostics if d.span.line == 5] == ["schema-required-missing"]


def test_specific_rule_wins_over_schema_enum_at_the_same_node() -> None:
    result = lint_text(BAD_TOLERATION)
    rules = [d.rule for d in result.diagnostics if d.span.line == 7]
    assert rules == ["toleration-invalid"]
    result = lint_text(BAD_TOLERATION, ignore=["toleration-invalid"])
    assert [d.rule for d in result.diagnostics if d.span.line == 7] == ["schema-enum-invalid"]
