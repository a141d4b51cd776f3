"""The bundled versions load offline; version selection and its errors."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from kpolicy.schema import (
    BUNDLE_DIR,
    SchemaValidator,
    UnsupportedVersion,
    normalize_version,
    supported_versions,
)
from kpolicy.schema.bundle import Version
from kpolicy.versions import SUPPORTED_VERSIONS

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


ALL_VERSIONS = ["1.29", "1.30", "1.31", "1.32", "1.33", "1.34", "1.35", "1.36", "1.37"]


def test_supported_versions_are_1_29_to_1_37() -> None:
    assert supported_versions() == ALL_VERSIONS
    assert list(SUPPORTED_VERSIONS) == ALL_VERSIONS  # the CLI, config and schemas agree


@pytest.mark.parametrize("version", ALL_VERSIONS)
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
        ("storage.k8s.io/v1", "StorageClass"),
        ("v1", "LimitRange"),
        ("v1", "ResourceQuota"),
        ("scheduling.k8s.io/v1", "PriorityClass"),
        ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"),
        ("apiregistration.k8s.io/v1", "APIService"),
        ("flowcontrol.apiserver.k8s.io/v1", "FlowSchema"),
        ("certificates.k8s.io/v1", "CertificateSigningRequest"),
        ("coordination.k8s.io/v1", "Lease"),
        ("discovery.k8s.io/v1", "EndpointSlice"),
        ("node.k8s.io/v1", "RuntimeClass"),
    ]:
        assert validator.has_schema(api_version, kind), (api_version, kind)


# the groups of the built-in API (kube-apiserver, apiextensions-apiserver, kube-aggregator)
# that serve objects people write as manifests, with one kind each
BUILT_IN_GROUPS = {
    "v1": "ConfigMap",
    "apps/v1": "Deployment",
    "batch/v1": "Job",
    "autoscaling/v1": "HorizontalPodAutoscaler",
    "autoscaling/v2": "HorizontalPodAutoscaler",
    "policy/v1": "PodDisruptionBudget",
    "networking.k8s.io/v1": "IngressClass",
    "rbac.authorization.k8s.io/v1": "Role",
    "storage.k8s.io/v1": "CSIDriver",
    "scheduling.k8s.io/v1": "PriorityClass",
    "node.k8s.io/v1": "RuntimeClass",
    "coordination.k8s.io/v1": "Lease",
    "discovery.k8s.io/v1": "EndpointSlice",
    "events.k8s.io/v1": "Event",
    "admissionregistration.k8s.io/v1": "MutatingWebhookConfiguration",
    "apiextensions.k8s.io/v1": "CustomResourceDefinition",
    "apiregistration.k8s.io/v1": "APIService",
    "flowcontrol.apiserver.k8s.io/v1": "PriorityLevelConfiguration",
    "certificates.k8s.io/v1": "CertificateSigningRequest",
    "authorization.k8s.io/v1": "SubjectAccessReview",
    "authentication.k8s.io/v1": "TokenReview",
}


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_every_built_in_group_has_schemas(version: str) -> None:
    validator = SchemaValidator.for_version(version)
    for api_version, kind in BUILT_IN_GROUPS.items():
        assert validator.is_builtin(api_version, kind), (version, api_version, kind)
    kinds = set(validator._builtin.roots)
    assert len(kinds) > 75
    # list wrappers and the apimachinery request types are not objects
    assert not any(kind.endswith("List") for _, kind in kinds)
    assert ("v1", "DeleteOptions") not in kinds and ("v1", "Status") not in kinds


def test_the_resource_group_follows_the_releases() -> None:
    # DRA: v1alpha2 (classic) until 1.30, v1alpha3 from 1.31, v1beta1 from 1.32, v1 from 1.34
    assert SchemaValidator.for_version("1.30").is_builtin(
        "resource.k8s.io/v1alpha2", "ResourceClaim"
    )
    assert not SchemaValidator.for_version("1.31").is_builtin(
        "resource.k8s.io/v1alpha2", "ResourceClaim"
    )
    assert not SchemaValidator.for_version("1.33").is_builtin("resource.k8s.io/v1", "ResourceClaim")
    assert SchemaValidator.for_version("1.34").is_builtin("resource.k8s.io/v1", "ResourceClaim")


def test_every_kind_compiles_in_every_version() -> None:
    for version in supported_versions():
        validator = SchemaValidator.for_version(version)
        for api_version, kind in validator._builtin.roots:
            obj = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}}
            validator.validate(obj)  # compiles; findings depend on the kind


def test_a_kind_is_built_on_first_use_only() -> None:
    # a fresh one, not the shared validator's, built from the bundle alone (the compiled form
    # starts with the common kinds built: tests/schema/test_compiled.py)
    version = Version("1.37", compiled=False)
    assert version.built_roots == {}
    version.root(("apps/v1", "Deployment"))
    assert set(version.built_roots) == {("apps/v1", "Deployment")}
    built = {name for name, _ in version._built}
    assert "io.k8s.api.core.v1.PodSpec" in built
    assert "io.k8s.api.storage.v1.StorageClass" not in built
    # the kinds that share PodSpec reuse the object that is already built
    pod = version.root(("v1", "Pod"))
    deployment = version.root(("apps/v1", "Deployment"))
    template_spec = deployment["properties"]["spec"]["properties"]["template"]["properties"]["spec"]
    assert pod["properties"]["spec"] is template_spec


def test_status_is_checked_for_types_but_not_for_required_fields() -> None:
    validator = SchemaValidator.for_version("1.37")
    document: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
            },
        },
        # DeploymentCondition requires type and status; PrepareForCreate drops the status
        "status": {"conditions": [{"reason": "x"}], "replicas": 1},
    }
    assert validator.validate(document) == []
    document["status"]["replicas"] = "one"
    assert [(p.rule, p.path) for p in validator.validate(document)] == [
        ("schema-type-mismatch", ("status", "replicas"))
    ]
    # the same definition outside status keeps its required fields
    pod = Version("1.37").root(("v1", "Pod"))
    assert "name" in pod["properties"]["spec"]["properties"]["containers"]["items"]["required"]


def test_bundle_size() -> None:
    # 1.29 to 1.37, every kind: about 0.5 MB on disk (70 kB in the wheel)
    size = sum(path.stat().st_size for path in Path(BUNDLE_DIR).iterdir())
    assert size < 700_000


def test_for_version_is_shared_and_accepts_patch_versions() -> None:
    assert SchemaValidator.for_version("1.37") is SchemaValidator.for_version("v1.37.3")
    assert normalize_version("v1.32.0") == "1.32"


@pytest.mark.parametrize("version", ["1.28", "1.38", "2.0", "latest", ""])
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


def test_required_is_only_ever_at_the_top_of_a_definition() -> None:
    """What _drop_required relies on: a relaxed (status) copy drops one key."""
    import json

    from kpolicy.schema.bundle import _store_lines

    def nested(node: object, top: bool) -> int:
        if not isinstance(node, dict):
            return 0
        found = 0 if top else int("required" in node)
        for sub in (node.get("properties") or {}).values():
            found += nested(sub, False)
        for key in ("items", "additionalProperties"):
            found += nested(node.get(key), False)
        return found

    definitions = [json.loads(line)[1] for line in _store_lines().values()]
    assert len(definitions) > 900
    assert sum(nested(definition, True) for definition in definitions) == 0
