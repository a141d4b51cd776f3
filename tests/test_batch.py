"""Jobs and CronJobs: findings that depend on the selected version, on feature gates and on
whether an object is a kustomize patch."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kpolicy.versions import DEFAULT_VERSION, SUPPORTED_VERSIONS
from tests.conftest import ROOT
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


def test_the_time_zone_list_is_the_packages_read_without_importlib_resources(
    tmp_path: Path,
) -> None:
    """The zone names are those of tzdata's ``zones`` file as importlib.resources reads it,
    read from the package's folder without importing importlib.resources (tempfile, shutil,
    zipfile: most of the cost, in every worker that reads a CronJob); a ``zones`` file in the
    working folder is never read, also when tzdata has no ``__file__``."""
    import subprocess
    import sys
    from importlib import resources

    from kpolicy.k8s.timezone import known_time_zones

    expected = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8")
    assert known_time_zones() == frozenset(expected.split())
    (tmp_path / "zones").write_text("Not/A_Zone\n", encoding="utf-8")
    code = (
        "import sys\n"
        "import tzdata\n"
        "if sys.argv[1] == 'nofile':\n"
        "    tzdata.__file__ = None\n"
        "from kpolicy.k8s.timezone import known_time_zones\n"
        "zones = known_time_zones()\n"
        "print('Europe/Kyiv' in zones, 'Not/A_Zone' in zones,"
        " 'importlib.resources' in sys.modules)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for case, imports in (("plain", "False"), ("nofile", "True")):
        out = subprocess.run(
            [sys.executable, "-c", code, case],
            capture_output=True,
            text=True,
            check=True,
            cwd=tmp_path,
            env=env,
        ).stdout
        assert out.split() == ["True", "False", imports], case


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
