"""Best-practice rules beyond their fixtures: parameters, defaults, hostile input."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpolicy.checks.bestpractice import image_tag
from kpolicy.ruledefs import builtin_rules
from tests.helpers import lint_text, of_rule

PACK = [
    "image-tag-missing-or-latest",
    "image-pull-policy-not-always-with-latest",
    "container-resources-missing",
    "liveness-probe-missing",
    "readiness-probe-missing",
    "probe-port-unknown",
    "probes-identical",
    "run-as-root",
    "privileged-container",
    "privilege-escalation-allowed",
    "read-only-root-fs-missing",
    "host-namespaces",
    "env-var-duplicate",
    "replicas-too-few",
    "replicas-set-with-hpa",
    "pdb-missing",
    "pdb-blocks-all-evictions",
    "anti-affinity-missing",
    "job-ttl-missing",
    "cronjob-deadline-missing",
]
ON_BY_DEFAULT = {
    "image-tag-missing-or-latest",
    "image-pull-policy-not-always-with-latest",
    "probe-port-unknown",
    "probes-identical",
    "privileged-container",
    "host-namespaces",
    "env-var-duplicate",
    "replicas-set-with-hpa",
    "pdb-blocks-all-evictions",
}

WELL_WRITTEN = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 10001}
      topologySpreadConstraints:
        - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway,
           labelSelector: {matchLabels: {app: web}}}
      containers:
        - name: web
          image: registry.example.com/web:1.4.2
          ports: [{name: http, containerPort: 8080}]
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {memory: 256Mi}
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}
          livenessProbe: {httpGet: {path: /livez, port: http}, failureThreshold: 6}
          readinessProbe: {httpGet: {path: /readyz, port: http}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 3
  maxReplicas: 10
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: shop}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: web}}
"""


def test_defaults() -> None:
    rules = builtin_rules()
    assert {r for r in PACK if rules[r].enabled} == ON_BY_DEFAULT
    assert all(rules[r].remediation.endswith(".") for r in PACK)


def test_a_well_written_workload_is_quiet_even_with_every_rule_on() -> None:
    result = lint_text(WELL_WRITTEN, select=PACK)
    assert result.diagnostics == ()


@pytest.mark.parametrize(
    ("image", "tag", "pinned"),
    [
        ("nginx", None, False),
        ("nginx:1.27", "1.27", False),
        ("localhost:5000/web", None, False),
        ("localhost:5000/web:2", "2", False),
        ("nginx@sha256:abc", None, True),
        ("nginx:latest@sha256:abc", "latest", True),
    ],
)
def test_image_tag(image: str, tag: str | None, pinned: bool) -> None:
    assert image_tag(image) == (tag, pinned)


RESOURCES = """\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
    - name: init
      image: busybox:1.36
  containers:
    - name: app
      image: registry.example.com/app:1.0
      resources:
        requests: {cpu: 100m, memory: 64Mi}
        limits: {memory: 64Mi}
"""


def config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / ".kpolicy.yaml"
    path.write_text(text)
    return path


def test_resources_parameters(tmp_path: Path) -> None:
    assert (
        of_rule(
            lint_text(RESOURCES, select=["container-resources-missing"]),
            "container-resources-missing",
        )
        == []
    )
    path = config(
        tmp_path,
        """\
rules:
  container-resources-missing:
    severity: warning
    params: {limits: [cpu, memory], initContainers: true}
""",
    )
    found = of_rule(lint_text(RESOURCES, config_path=path), "container-resources-missing")
    assert [d.message for d in found] == [
        "container 'init' sets no cpu request, memory request, cpu limit, memory limit",
        "container 'app' sets no cpu limit",
    ]
    requests_only = config(
        tmp_path,
        "rules:\n  container-resources-missing:\n    severity: info\n    params: {limits: []}\n",
    )
    assert (
        of_rule(
            lint_text(
                RESOURCES.replace("        limits: {memory: 64Mi}\n", ""), config_path=requests_only
            ),
            "container-resources-missing",
        )
        == []
    )


REPLICAS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
"""


def test_replicas_minimum_parameter(tmp_path: Path) -> None:
    assert of_rule(lint_text(REPLICAS, select=["replicas-too-few"]), "replicas-too-few") == []
    path = config(tmp_path, "rules:\n  replicas-too-few: {severity: error, params: {min: 3}}\n")
    found = of_rule(lint_text(REPLICAS, config_path=path), "replicas-too-few")
    assert [(d.severity.value, d.span.line, d.message) for d in found] == [
        (
            "error",
            5,
            "replicas 2 is fewer than 3; one node drain or crash makes Deployment web unavailable",
        ),
    ]


def test_autoscaler_matching() -> None:
    other_group = (
        REPLICAS
        + """\
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: extensions/v1beta1, kind: Deployment, name: web}
  maxReplicas: 3
"""
    )
    assert (
        of_rule(lint_text(other_group, select=["replicas-set-with-hpa"]), "replicas-set-with-hpa")
        == []
    )
    other_version = other_group.replace("extensions/v1beta1", "apps/v1beta2")
    found = of_rule(
        lint_text(other_version, select=["replicas-set-with-hpa"]), "replicas-set-with-hpa"
    )
    assert [d.span.line for d in found] == [5]
    assert found[0].related[0].span.line == 16


def test_pdb_counts_pods_of_every_matching_template() -> None:
    text = (
        REPLICAS
        + """\
---
apiVersion: v1
kind: Pod
metadata: {name: extra, labels: {app: web}}
spec:
  containers: [{name: web, image: "nginx:1.27"}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: 3
  selector: {matchExpressions: [{key: app, operator: In, values: [web, api]}]}
"""
    )
    found = of_rule(
        lint_text(text, select=["pdb-blocks-all-evictions"]), "pdb-blocks-all-evictions"
    )
    assert [d.message for d in found] == [
        "minAvailable 3 needs all 3 pods of Deployment web, Pod extra available, so none can ever "
        "be evicted; node drains wait for this PodDisruptionBudget forever",
    ]
    assert len(found[0].related) == 2
    daemonset = (
        text
        + """\
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: agent, image: "agent:1.0"}]
"""
    )
    assert (
        of_rule(
            lint_text(daemonset, select=["pdb-blocks-all-evictions"]), "pdb-blocks-all-evictions"
        )
        == []
    )


HOSTILE = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: "3"
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      securityContext: [not, a, mapping]
      affinity: 7
      topologySpreadConstraints: {}
      containers:
        - null
        - name: [x]
          image: 5
          env: [null, {name: 3}, {name: A}, {name: A}]
          ports: {name: http}
          resources: {requests: [cpu], limits: memory}
          livenessProbe: {httpGet: {port: {}}}
          readinessProbe: []
          securityContext: {runAsUser: "0", runAsNonRoot: "true"}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: "lots"
  selector: {matchLabels: {app: web}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web2}
spec:
  maxUnavailable: null
  selector: 5
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: [web]
"""


def test_hostile_input_gives_findings_not_crashes() -> None:
    result = lint_text(HOSTILE, select=[*PACK, "internal-error"])
    assert [d for d in result.diagnostics if d.rule == "internal-error"] == []
    assert {d.rule for d in result.diagnostics} >= {"env-var-duplicate", "run-as-root"}
