"""The bundled versions load offline; version selection and its errors."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from kpolicy.schema import (
    BUNDLE_DIR,
    SchemaValidator,
    UnsupportedVersion,
    normalize_version,
    supported_versions,
)

from .support import load

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{containerPort: 80}]
        resources: {requests: {cpu: 100m, memory: 128Mi}}
"""


def test_supported_versions_are_the_last_six_minors() -> None:
    assert supported_versions() == ["1.32", "1.33", "1.34", "1.35", "1.36", "1.37"]


@pytest.mark.parametrize("version", ["1.32", "1.33", "1.34", "1.35", "1.36", "1.37"])
def test_every_version_loads_offline(version: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("schema loading must not touch the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    validator = SchemaValidator(version)
    assert validator.validate(load(DEPLOYMENT)) == []
    for api_version, kind in [
        ("apps/v1", "StatefulSet"),
        ("batch/v1", "CronJob"),
        ("v1", "Service"),
        ("v1", "PersistentVolumeClaim"),
        ("policy/v1", "PodDisruptionBudget"),
        ("autoscaling/v2", "HorizontalPodAutoscaler"),
        ("networking.k8s.io/v1", "Ingress"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
        ("v1", "ReplicationController"),
    ]:
        assert validator.has_schema(api_version, kind), (api_version, kind)


def test_every_kind_compiles_in_every_version() -> None:
    index = json.loads((BUNDLE_DIR / "versions.json").read_text())
    for version, entry in index.items():
        validator = SchemaValidator.for_version(version)
        for api_version, kinds in entry["kinds"].items():
            for kind in kinds:
                obj = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}}
                validator.validate(obj)  # compiles; findings depend on the kind


def test_bundle_is_small() -> None:
    size = sum(path.stat().st_size for path in Path(BUNDLE_DIR).iterdir())
    assert size < 2_000_000


def test_for_version_is_shared_and_accepts_patch_versions() -> None:
    assert SchemaValidator.for_version("1.37") is SchemaValidator.for_version("v1.37.3")
    assert normalize_version("v1.32.0") == "1.32"


@pytest.mark.parametrize("version", ["1.31", "1.38", "2.0", "latest", ""])
def test_unsupported_version_lists_the_supported_ones(version: str) -> None:
    with pytest.raises(UnsupportedVersion) as raised:
        SchemaValidator.for_version(version)
    message = str(raised.value)
    for supported in supported_versions():
        assert supported in message
    assert raised.value.supported == supported_versions()


def test_removed_and_unknown_api_versions_are_skipped() -> None:
    validator = SchemaValidator.for_version("1.37")
    for api_version, kind in [
        ("extensions/v1beta1", "Deployment"),
        ("apps/v1beta1", "Deployment"),
        ("apps/v1beta2", "StatefulSet"),
        ("policy/v1beta1", "PodDisruptionBudget"),
        ("example.com/v1", "Widget"),
        ("v1", "List"),
    ]:
        obj = {"apiVersion": api_version, "kind": kind, "spec": {"bogus": True}}
        assert not validator.has_schema(api_version, kind)
        assert validator.validate(obj) == []
