"""Pipeline behaviour between rules: overlapping findings, internal errors' level."""

from __future__ import annotations

from pathlib import Path

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


PATCH = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
"""


def test_kustomize_patches_are_exempt_from_required_fields(tmp_path: Path) -> None:
    """A file that a kustomization (a file kustomize reads: kustomization.yaml, .yml or
    Kustomization) names as a patch is a fragment: no required-field findings; the same
    fragment elsewhere, or named by a Kustomization kustomize would not read, gets them."""
    from tests.helpers import lint_paths

    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources: [../base]\npatches:\n  - path: patch.yaml\n"
        "patchesStrategicMerge: [sm.yaml]\n"
    )
    for name in ("patch.yaml", "sm.yaml", "other.yaml", "named-elsewhere.yaml"):
        (overlay / name).write_text(PATCH)
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "notkustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "patches:\n  - path: ../overlay/named-elsewhere.yaml\n"
    )
    for jobs in (1, 2):
        result = lint_paths(
            ["."], tmp_path, jobs=jobs, ignore=["selector-missing"], use_config_discovery=False
        )
        flagged = {d.file for d in result.diagnostics if d.rule == "schema-required-missing"}
        assert flagged == {"overlay/other.yaml", "overlay/named-elsewhere.yaml"}, jobs
