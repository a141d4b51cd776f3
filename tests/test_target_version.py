"""Findings whose truth depends on the selected Kubernetes version, on feature gates, or on what
kind of file an object comes from (a kustomize patch), and objects that no rule of their kind
may judge (a built-in kind under a group version that does not serve it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import lint_paths, lint_text, of_rule

STATEFULSET = """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      hostname: Primary_DB
      containers:
        - name: postgres.primary
          image: postgres:16
"""


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("1.32", "Kubernetes 1.32 accepts the StatefulSet but rejects every Pod created from it"),
        ("1.33", "Kubernetes 1.33 accepts the StatefulSet but rejects every Pod created from it"),
        ("1.34", "is not a DNS-1123 label; the API server rejects this: must not contain dots"),
        ("1.37", "is not a DNS-1123 label; the API server rejects this: must not contain dots"),
    ],
)
def test_statefulset_pod_spec_rejection_follows_the_version(version: str, expected: str) -> None:
    # kubernetes/kubernetes#131790: the template is validated on create from 1.34
    found = of_rule(lint_text(STATEFULSET, kubernetes_version=version), "pod-spec-invalid")
    assert [d.span.line for d in found] == [15]
    assert expected in found[0].message


@pytest.mark.parametrize(("version", "lines"), [("1.33", []), ("1.34", [13])])
def test_statefulset_template_hostname_is_judged_from_1_34(version: str, lines: list[int]) -> None:
    # before 1.34 initIdentity replaces the hostname in every Pod: nothing is ever rejected
    found = of_rule(lint_text(STATEFULSET, kubernetes_version=version), "name-invalid")
    assert [d.span.line for d in found] == lines


CONTAINER_RESTART_POLICY = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: train
spec:
  template:
    spec:
      restartPolicy: Never
      initContainers:
        - name: fetch
          image: registry.example.com/fetch:1.0
          restartPolicy: OnFailure
      containers:
        - name: train
          image: registry.example.com/train:5
          restartPolicy: OnFailure
"""


@pytest.mark.parametrize(
    ("version", "gates", "lines"),
    [
        ("1.34", {}, [12, 16]),
        ("1.35", {}, []),
        ("1.34", {"ContainerRestartRules": True}, []),
        ("1.37", {"ContainerRestartRules": False}, [12, 16]),
    ],
)
def test_container_restart_policy_follows_the_gate(
    version: str, gates: dict[str, bool], lines: list[int]
) -> None:
    result = lint_text(CONTAINER_RESTART_POLICY, kubernetes_version=version, feature_gates=gates)
    found = of_rule(result, "pod-spec-invalid")
    assert [d.span.line for d in found] == lines
    assert all("ContainerRestartRules feature gate is" in d.message for d in found)


def test_no_kind_rule_runs_on_a_kind_its_version_does_not_serve() -> None:
    text = """\
apiVersion: v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  template:
    spec:
      containers:
        - name: postgres.primary
"""
    result = lint_text(text)
    assert [(d.rule, d.span.line) for d in result.diagnostics] == [("api-version-mismatch", 1)]
    # the same object under apps/v1 has findings of its kind's rules
    fixed = lint_text(text.replace("apiVersion: v1", "apiVersion: apps/v1"))
    assert {"selector-missing", "pod-spec-invalid"} <= {d.rule for d in fixed.diagnostics}


PATCH = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          livenessProbe:
            initialDelaySeconds: 30
"""


def test_a_kustomize_patch_may_leave_out_image_and_handler(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "patches:\n  - path: patch.yaml\n",
        encoding="utf-8",
    )
    (tmp_path / "patch.yaml").write_text(PATCH, encoding="utf-8")
    (tmp_path / "other.yaml").write_text(PATCH, encoding="utf-8")
    result = lint_paths(["."], tmp_path, select=["pod-spec-invalid"])
    found = {(d.file, d.span.line) for d in result.diagnostics}
    # the same document outside the kustomization is a whole object, and rejected twice
    assert found == {("other.yaml", 9), ("other.yaml", 10)}


def test_privileged_and_host_namespaces_name_pod_security_not_the_api_server() -> None:
    text = """\
apiVersion: v1
kind: Pod
metadata:
  name: tool
spec:
  hostPID: true
  containers:
    - name: tool
      image: registry.example.com/tool:1.0
      securityContext: {privileged: true}
"""
    found = lint_text(text, select=["privileged-container", "host-namespaces"]).diagnostics
    assert len(found) == 2
    for diag in found:
        assert "baseline Pod Security Standard forbids this" in diag.message
        assert "not allowed" not in diag.message
