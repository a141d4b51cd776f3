"""Pod templates in custom resources: built-in layouts (Argo Rollout, OpenShift
DeploymentConfig, PodTemplate), podTemplates: in the config, and their plans."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kpolicy.config import load_config
from kpolicy.errors import UsageError
from kpolicy.k8s.cron import parse_standard
from kpolicy.load import load_text
from kpolicy.model import KObject, SourceFile
from kpolicy.plan.cron import next_runs
from kpolicy.plan.custom import as_deployment, canary_replicas, canary_steps
from tests.helpers import lint_paths, lint_text

WORKER = """\
apiVersion: example.com/v1
kind: Worker
metadata:
  name: w
spec:
  size: 3
  selector:
    matchLabels: {app: w}
  podTemplate:
    metadata:
      labels: {app: x}
    spec:
      restartPolicy: Sometimes
      containers:
        - name: c
          image: nginx
          securityContext:
            privileged: true
"""

CONFIG = """\
podTemplates:
  - apiVersion: example.com/v1
    kind: Worker
    template: /spec/podTemplate
    selector: /spec/selector
    replicas: /spec/size
"""


def _found(result: object) -> set[tuple[str, int, int]]:
    return {(d.rule, d.span.line, d.span.column) for d in result.diagnostics}  # type: ignore[attr-defined]


def test_configured_kind_gets_pod_spec_and_selector_rules(tmp_path: Path) -> None:
    (tmp_path / ".kpolicy.yaml").write_text(CONFIG)
    (tmp_path / "w.yaml").write_text(WORKER)
    found = _found(lint_paths(["."], tmp_path))
    assert ("selector-mismatch", 7, 3) in found
    assert ("image-tag-missing-or-latest", 16, 18) in found
    assert ("privileged-container", 18, 25) in found
    assert ("restart-policy-invalid", 13, 22) in found
    # without the config the custom resource is opaque
    (tmp_path / ".kpolicy.yaml").write_text("failOn: error\n")
    rules = {rule for rule, _, _ in _found(lint_paths(["."], tmp_path))}
    assert not rules & {"selector-mismatch", "privileged-container", "restart-policy-invalid"}


def test_configured_kind_message_says_who_refuses(tmp_path: Path) -> None:
    (tmp_path / ".kpolicy.yaml").write_text(CONFIG)
    (tmp_path / "w.yaml").write_text(WORKER)
    result = lint_paths(["."], tmp_path)
    [mismatch] = [d for d in result.diagnostics if d.rule == "selector-mismatch"]
    assert "the API server accepts the Worker but rejects every Pod created from it" in (
        mismatch.message
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "podTemplates:\n  - apiVersion: apps/v1\n    kind: Deployment\n    template: /spec/template\n",
            ".kpolicy.yaml:2:5: invalid config: podTemplates names the built-in kind Deployment",
        ),
        (
            "podTemplates:\n  - apiVersion: argoproj.io/v1alpha1\n    kind: Rollout\n"
            "    template: /spec/template\n",
            "whose pod template kpolicy reads already",
        ),
        (
            "podTemplates:\n  - apiVersion: example.com/v1\n    kind: Worker\n    template: spec\n",
            "invalid config at podTemplates.0.template",
        ),
        (
            "podTemplates:\n  - apiVersion: example.com/v1\n    kind: Worker\n",
            "'template' is a required property",
        ),
        (
            "podTemplates:\n"
            "  - {apiVersion: example.com/v1, kind: Worker, template: /spec/t}\n"
            "  - {apiVersion: example.com/v1, kind: Worker, template: /spec/u}\n",
            "names Worker (example.com/v1) twice (first at",
        ),
    ],
)
def test_bad_pod_templates_config_is_a_clear_error(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / ".kpolicy.yaml"
    path.write_text(text)
    with pytest.raises(UsageError) as info:
        load_config(path)
    assert expected in str(info.value)


def test_rollout_and_deployment_config_run_pod_rules() -> None:
    text = """\
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      restartPolicy: Never
      containers:
        - name: web
          image: nginx:latest
"""
    found = _found(lint_text(text))
    assert ("restart-policy-invalid", 12, 22) in found
    assert ("image-tag-missing-or-latest", 15, 18) in found
    # the same under another group is someone else's Rollout
    other = text.replace("argoproj.io/v1alpha1", "example.com/v1")
    rules = {rule for rule, _, _ in _found(lint_text(other))}
    assert not rules & {"restart-policy-invalid", "image-tag-missing-or-latest"}


def test_rules_list_covers_custom_kinds() -> None:
    from kpolicy.ruledefs import builtin_rules

    rules = builtin_rules()
    assert rules["selector-mismatch"].applies_to("Rollout", True)
    assert rules["privileged-container"].applies_to("DeploymentConfig", True)
    assert not rules["statefulset-name-too-long"].applies_to("Rollout", True)


def _obj(text: str) -> KObject:
    return load_text(SourceFile("x.yaml", text)).objects[0]


# DesiredReplicaCountsForCanary (argo-rollouts utils/replicaset/canary.go): both round up
@pytest.mark.parametrize(
    ("replicas", "weight", "routing", "expected"),
    [(10, 20, False, (2, 8)), (5, 30, False, (2, 4)), (1, 5, False, (1, 1)), (4, 50, True, (2, 4))],
)
def test_canary_replicas(
    replicas: int, weight: int, routing: bool, expected: tuple[int, int]
) -> None:
    assert canary_replicas(replicas, weight, routing) == expected


def test_canary_steps_of_a_rollout() -> None:
    obj = _obj(
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\n"
        "spec:\n  replicas: 5\n  strategy:\n    canary:\n      steps:\n"
        "        - setWeight: 20\n        - pause: {}\n        - setWeight: 60\n"
        "        - pause: {duration: 30s}\n"
    )
    steps, why = canary_steps(obj)
    assert steps is not None and why == ""
    assert [(s.action, s.weight, s.canary, s.stable) for s in steps] == [
        ("setWeight 20", 20, 1, 4),
        ("pause (until promoted)", 20, 1, 4),
        ("setWeight 60", 60, 3, 2),
        ("pause 30s", 60, 3, 2),
        ("promoted", 100, 5, 0),
    ]


def test_deployment_config_planned_as_a_deployment() -> None:
    obj = _obj(
        "apiVersion: apps.openshift.io/v1\nkind: DeploymentConfig\nmetadata: {name: d}\n"
        "spec:\n  replicas: 4\n  selector: {app: d}\n"
        "  strategy:\n    type: Rolling\n    rollingParams: {maxSurge: 1}\n"
        "  template:\n    metadata: {labels: {app: d}}\n    spec: {containers: [{name: c, image: i}]}\n"
    )
    deployment, why = as_deployment(obj)
    assert deployment is not None and why == ""
    assert deployment["spec"]["replicas"] == 4
    assert deployment["spec"]["strategy"]["rollingUpdate"] == {
        "maxSurge": 1,
        "maxUnavailable": "25%",
    }


def test_deployment_config_without_replicas_has_none() -> None:
    # DeploymentConfigSpec.Replicas is a plain int32 that SetDefaults_DeploymentConfigSpec
    # leaves alone; the selector defaults to the template's labels
    obj = _obj(
        "apiVersion: apps.openshift.io/v1\nkind: DeploymentConfig\nmetadata: {name: d}\n"
        "spec:\n  template:\n    metadata: {labels: {app: d}}\n"
        "    spec: {containers: [{name: c, image: i}]}\n"
    )
    deployment, why = as_deployment(obj)
    assert deployment is not None and why == ""
    assert deployment["spec"]["replicas"] == 0
    assert deployment["spec"]["selector"] == {"matchLabels": {"app": "d"}}


def test_custom_strategy_is_not_planned() -> None:
    obj = _obj(
        "apiVersion: apps.openshift.io/v1\nkind: DeploymentConfig\nmetadata: {name: d}\n"
        "spec:\n  replicas: 1\n  strategy: {type: Custom}\n"
        "  template:\n    metadata: {labels: {app: d}}\n    spec: {containers: [{name: c, image: i}]}\n"
    )
    deployment, why = as_deployment(obj)
    assert deployment is None and "custom deployer" in why


def test_cron_next_runs_in_time_zone() -> None:
    now = datetime(2026, 3, 27, 23, 30, tzinfo=UTC)
    runs = next_runs(parse_standard("0 9 * * MON-FRI"), now, ZoneInfo("Europe/Berlin"))
    # Friday 27 March, then the DST change on Sunday 29 March (CET → CEST)
    assert [r.isoformat() for r in runs] == [
        "2026-03-30T09:00:00+02:00",
        "2026-03-31T09:00:00+02:00",
        "2026-04-01T09:00:00+02:00",
        "2026-04-02T09:00:00+02:00",
        "2026-04-03T09:00:00+02:00",
    ]


def test_cron_day_of_month_or_day_of_week() -> None:
    # neither field is a star: either matches (robfig dayMatches)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    runs = next_runs(parse_standard("0 0 13 * FRI"), now, ZoneInfo("UTC"), count=3)
    assert [r.date().isoformat() for r in runs] == ["2026-01-02", "2026-01-09", "2026-01-13"]


def test_cron_skips_a_time_in_the_dst_gap() -> None:
    now = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    runs = next_runs(parse_standard("30 2 * * *"), now, ZoneInfo("Europe/Berlin"), count=2)
    assert [r.isoformat() for r in runs] == [
        "2026-03-30T02:30:00+02:00",
        "2026-03-31T02:30:00+02:00",
    ]


def test_deployment_config_image_from_an_image_change_trigger() -> None:
    text = DC_TRIGGERED
    found = [d for d in lint_text(text).diagnostics if d.rule == "pod-spec-invalid"]
    assert [(d.span.line, d.span.column) for d in found] == [(23, 18)]


DC_TRIGGERED = """\
apiVersion: apps.openshift.io/v1
kind: DeploymentConfig
metadata:
  name: app
spec:
  replicas: 2
  selector:
    app: app
  triggers:
    - type: ImageChange
      imageChangeParams:
        automatic: true
        containerNames: [app]
        from: {kind: ImageStreamTag, name: "app:latest"}
  template:
    metadata:
      labels: {app: app}
    spec:
      containers:
        - name: app
          image: ""
        - name: side
          image: ""
"""
