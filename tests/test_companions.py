"""The objects around a workload: cross-file look-ups, the same in parallel as in serial runs,
and silent where the inputs give no evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpolicy import parallel
from kpolicy.lint import LintOptions
from tests.helpers import lint_paths
from tests.test_parallel import report

RULES = [
    "hpa-target-not-found",
    "hpa-requests-missing",
    "pdb-selects-nothing",
    "networkpolicy-selects-nothing",
    "networkpolicy-missing",
    "ingress-backend-not-found",
]

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: app
          image: registry.example.com/{name}:1.0
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:
  selector: {{app: {name}}}
  ports:
    - {{name: http, port: 80}}
"""

AROUND = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {name}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: {target}}}
  maxReplicas: 4
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {name}
spec:
  maxUnavailable: 1
  selector:
    matchLabels: {{app: {target}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {name}
spec:
  podSelector:
    matchLabels: {{app: {target}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {name}
spec:
  defaultBackend:
    service: {{name: {target}, port: {{name: http}}}}
"""


def app_folder(folder: Path, apps: int) -> Path:
    """Each app's workload and Service in one file and its companions in another, in the same
    folder; every third app's companions name a workload that does not exist."""
    folder.mkdir(parents=True)
    for index in range(apps):
        name = f"app{index}"
        (folder / f"{name}.yaml").write_text(DEPLOYMENT.format(name=name))
        target = f"gone{index}" if index % 3 == 0 else name
        (folder / f"{name}-around.yaml").write_text(AROUND.format(name=name, target=target))
    return folder


@pytest.mark.skipif(not parallel.can_fork(), reason="no fork on this platform")
def test_cross_file_companions_are_the_same_in_parallel(tmp_path: Path) -> None:
    folder = app_folder(tmp_path / "in", apps=9)
    options = LintOptions(paths=[str(folder)], use_config_discovery=False, select=RULES)
    serial = report(LintOptions(**{**options.__dict__, "jobs": 1}))
    for jobs in (2, 3):
        assert report(LintOptions(**{**options.__dict__, "jobs": jobs})) == serial, jobs
    text = serial[0]
    for rule in (
        "hpa-target-not-found",
        "pdb-selects-nothing",
        "networkpolicy-selects-nothing",
        "ingress-backend-not-found",
    ):
        assert text.count(f'"rule": "{rule}"') == 3, rule  # app0, app3, app6
    # the workloads of the broken apps have no policy; every container lacks a cpu request
    assert text.count('"rule": "networkpolicy-missing"') == 3
    assert text.count('"rule": "hpa-requests-missing"') == 6


def test_no_evidence_in_another_folder(tmp_path: Path) -> None:
    """Companions in a folder without workloads (an overlay on a remote base, a folder of
    policies for apps deployed from elsewhere) are not judged by the workloads of other
    folders of the same namespace."""
    app_folder(tmp_path / "apps", apps=1)
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "around.yaml").write_text(AROUND.format(name="billing", target="billing"))
    result = lint_paths(["."], tmp_path, select=RULES)
    assert [d for d in result.diagnostics if d.file.startswith("policies")] == []
    # the same companions next to the workloads are judged
    (tmp_path / "apps" / "around.yaml").write_text(AROUND.format(name="billing", target="billing"))
    result = lint_paths(["."], tmp_path, select=RULES)
    judged = {d.rule for d in result.diagnostics if d.file == "apps/around.yaml"}
    assert judged == {
        "hpa-target-not-found",
        "pdb-selects-nothing",
        "networkpolicy-selects-nothing",
        "ingress-backend-not-found",
    }
