"""Jobs and CronJobs: findings that depend on the selected version, on feature gates and on
whether an object is a kustomize patch."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpolicy.versions import DEFAULT_VERSION, SUPPORTED_VERSIONS
from tests.helpers import lint_paths, lint_text, of_rule

MANAGED_BY = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: shard
spec:
  managedBy: kueue
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: shard
          image: registry.example.com/shard:2.1
"""

SUCCESS_POLICY = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: workers
spec:
  completions: 3
  successPolicy:
    rules:
      - succeededCount: 1
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: worker
          image: registry.example.com/worker:1.2
"""


@pytest.mark.parametrize(
    ("manifest", "rule", "gate"),
    [
        (MANAGED_BY, "job-spec-invalid", "JobManagedBy"),
        (SUCCESS_POLICY, "job-success-policy-invalid", "JobSuccessPolicy"),
    ],
)
def test_a_field_behind_a_gate_that_is_off_is_dropped_not_judged(
    manifest: str, rule: str, gate: str
) -> None:
    assert of_rule(lint_text(manifest, select=[rule]), rule)
    off = lint_text(manifest, select=[rule], feature_gates={gate: False})
    assert of_rule(off, rule) == []


CRON_TZ = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
spec:
  schedule: "TZ=Europe/Berlin 0 6 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: report
              image: registry.example.com/report:1.4.0
"""


@pytest.mark.parametrize(
    "version", [v for v in ("1.29", "1.32", DEFAULT_VERSION) if v in SUPPORTED_VERSIONS]
)
def test_tz_in_the_schedule_is_rejected_from_1_29(version: str) -> None:
    found = of_rule(
        lint_text(CRON_TZ, select=["cronjob-schedule-invalid"], kubernetes_version=version),
        "cronjob-schedule-invalid",
    )
    # the schedule parses (robfig/cron takes the prefix); only the TZ check rejects it
    assert [d.message.split(";")[0] for d in found] == [
        "schedule 'TZ=Europe/Berlin 0 6 * * *' names a time zone (TZ or CRON_TZ)"
    ]


def test_time_zones_come_from_the_iana_database() -> None:
    for zone, valid in (
        ("Europe/Kyiv", True),
        ("America/Argentina/Buenos_Aires", True),
        ("US/Pacific", True),
        ("Europe/Kyyiv", False),
        ("europe/berlin", False),
        ("../etc/passwd", False),
        ("LOCAL", False),
    ):
        manifest = CRON_TZ.replace(
            '"TZ=Europe/Berlin 0 6 * * *"', f'"@daily"\n  timeZone: "{zone}"'
        )
        found = of_rule(
            lint_text(manifest, select=["cronjob-schedule-invalid"]), "cronjob-schedule-invalid"
        )
        assert (found == []) is valid, (zone, [d.message for d in found])


INDEXED_PATCH = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: shard
spec:
  completionMode: Indexed
  parallelism: 4
  maxFailedIndexes: 1
  podFailurePolicy:
    rules:
      - onExitCodes:
          values: [1]
"""


def test_a_kustomize_patch_may_leave_out_what_its_base_has(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "patches:\n  - path: patch.yaml\n",
        encoding="utf-8",
    )
    (tmp_path / "patch.yaml").write_text(INDEXED_PATCH, encoding="utf-8")
    (tmp_path / "other.yaml").write_text(INDEXED_PATCH, encoding="utf-8")
    rules = ["job-spec-invalid", "job-pod-failure-policy-invalid"]
    result = lint_paths(["."], tmp_path, select=rules)
    found = sorted((d.file, d.span.line, d.rule) for d in result.diagnostics)
    # completions, backoffLimitPerIndex, the action and the operator are missing
    assert found == [
        ("other.yaml", 5, "job-spec-invalid"),
        ("other.yaml", 8, "job-spec-invalid"),
        ("other.yaml", 11, "job-pod-failure-policy-invalid"),
        ("other.yaml", 11, "job-pod-failure-policy-invalid"),
    ]
