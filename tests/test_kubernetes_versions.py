"""Kubernetes 1.29 to 1.37 everywhere: the CLI, config, rule files, schemas per release, and the
rules whose answer depends on the release."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

import pytest

from kpolicy.resources import data_dir
from kpolicy.schema import SchemaValidator, supported_versions
from kpolicy.versions import SUPPORTED_VERSIONS
from tests.helpers import cli, lint_text, of_rule

MIXED = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: fast
provisioner: pd.csi.storage.gke.io
parameter:
  type: pd-ssd
---
apiVersion: v1
kind: LimitRange
metadata:
  name: defaults
spec:
  limits:
    - type: Container
      defaultRequests: {cpu: 100m}
"""


def test_every_place_lists_the_same_versions() -> None:
    assert supported_versions() == list(SUPPORTED_VERSIONS)
    assert SUPPORTED_VERSIONS[0] == "1.29" and SUPPORTED_VERSIONS[-1] == "1.37"
    config = json.loads((data_dir("schemas") / "config.schema.json").read_text())
    assert config["properties"]["kubernetesVersion"]["enum"] == list(SUPPORTED_VERSIONS)
    rule = json.loads((data_dir("schemas") / "rule.schema.json").read_text())
    example = rule["properties"]["examples"]["items"]["properties"]["kubernetesVersion"]
    assert example["enum"] == list(SUPPORTED_VERSIONS)


def test_lint_1_29_works_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("kpolicy lint must not touch the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    result = lint_text(MIXED, kubernetes_version="1.29")
    assert result.kubernetes_version == "1.29"
    assert not result.errors
    unknown = of_rule(result, "schema-unknown-field")
    assert [(d.span.line, d.span.column, d.object and d.object.kind) for d in unknown] == [
        (21, 1, "StorageClass"),
        (31, 7, "LimitRange"),
    ]
    assert not of_rule(result, "internal-error")


def test_cli_accepts_1_29_and_rejects_1_28(tmp_path: Path) -> None:
    (tmp_path / "all.yaml").write_text(MIXED)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return cli("lint", "--no-cache", *args, "all.yaml", cwd=tmp_path)

    out = run("--kubernetes-version", "1.29")
    assert out.returncode == 1, out.stderr
    assert "Kubernetes 1.29)" in out.stdout
    assert 'all.yaml:21:1: error[schema-unknown-field] unknown field "parameter"' in out.stdout
    out = run("--kubernetes-version", "1.28")
    assert out.returncode == 2
    assert "supported: 1.29, 1.30, 1.31" in out.stderr
    (tmp_path / ".kpolicy.yaml").write_text("kubernetesVersion: 1.30\n")  # YAML: the number 1.3
    out = run()
    assert out.returncode == 2
    assert 'quote it, "1.30"' in out.stderr
    (tmp_path / ".kpolicy.yaml").write_text('kubernetesVersion: "1.30"\n')
    out = run()
    assert out.returncode == 1 and "Kubernetes 1.30)" in out.stdout


# (release the field appears in, document, path of the field): fields added after 1.29
APPEARING_FIELDS = [
    (
        "1.30",
        """\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
  trafficDistribution: PreferClose
""",
        ("spec", "trafficDistribution"),
    ),
    (
        "1.30",
        """\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: p
      image: busybox:1.36
      securityContext:
        appArmorProfile: {type: RuntimeDefault}
""",
        ("spec", "containers", 0, "securityContext", "appArmorProfile"),
    ),
    (
        "1.31",
        """\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: p
      image: busybox:1.36
  volumes:
    - name: models
      image: {reference: registry.example.com/models:1, pullPolicy: IfNotPresent}
""",
        ("spec", "volumes", 0, "image"),
    ),
    (
        "1.32",
        """\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  resources: {limits: {cpu: "1"}}
  containers:
    - name: p
      image: busybox:1.36
""",
        ("spec", "resources"),
    ),
    (
        "1.33",
        """\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: p
      image: busybox:1.36
      lifecycle:
        stopSignal: SIGUSR1
""",
        ("spec", "containers", 0, "lifecycle", "stopSignal"),
    ),
]


def _unknown(version: str, text: str) -> set[tuple[str | int, ...]]:
    import yaml

    document = yaml.safe_load(text)
    return {
        p.path
        for p in SchemaValidator.for_version(version).validate(document)
        if p.rule == "schema-unknown-field"
    }


@pytest.mark.parametrize(
    ("since", "text", "path"), APPEARING_FIELDS, ids=[str(case[2][-1]) for case in APPEARING_FIELDS]
)
def test_a_field_is_unknown_before_its_release(
    since: str, text: str, path: tuple[str | int, ...]
) -> None:
    before = f"1.{int(since.split('.')[1]) - 1}"
    assert _unknown(before, text) == {path}
    assert _unknown(since, text) == set()
    assert _unknown("1.37", text) == set()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("since", "text", "path"), APPEARING_FIELDS, ids=[str(case[2][-1]) for case in APPEARING_FIELDS]
)
def test_a_field_in_every_release(since: str, text: str, path: tuple[str | int, ...]) -> None:
    for version in supported_versions():
        expected = {path} if int(version.split(".")[1]) < int(since.split(".")[1]) else set()
        assert _unknown(version, text) == expected, version


ENV_NAME = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          env:
            - name: 1ST_REPLICA
              value: "yes"
"""


@pytest.mark.parametrize(
    ("version", "gates", "rejected"),
    [
        ("1.29", {}, True),  # no RelaxedEnvironmentVariableValidation gate yet
        ("1.29", {"RelaxedEnvironmentVariableValidation": True}, True),
        ("1.30", {}, True),  # alpha, off
        ("1.31", {"RelaxedEnvironmentVariableValidation": True}, False),
        ("1.32", {}, False),  # beta, on
        ("1.32", {"RelaxedEnvironmentVariableValidation": False}, True),
        ("1.34", {"RelaxedEnvironmentVariableValidation": False}, False),  # GA, locked on
    ],
)
def test_env_var_names_follow_the_release(
    version: str, gates: dict[str, bool], rejected: bool
) -> None:
    result = lint_text(ENV_NAME, kubernetes_version=version, feature_gates=gates)
    found = [d for d in of_rule(result, "pod-spec-invalid") if "1ST_REPLICA" in d.message]
    assert bool(found) is rejected, [d.message for d in found]
    if rejected:
        assert (found[0].span.line, found[0].span.column) == (16, 21)
