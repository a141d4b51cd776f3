"""The overlay: every entry is documented and applies; each enum, quantities, corrections."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kpolicy.schema import (
    RULE_ENUM_INVALID,
    RULE_FORMAT_INVALID,
    RULE_REQUIRED_MISSING,
    RULE_VALUE_INVALID,
    SchemaValidator,
    is_valid_quantity,
    supported_versions,
)
from kpolicy.schema.bundle import _applies, _index, _pick, _stored, load_overlay

from .support import found, load, problems

PATCHES: list[dict[str, Any]] = load_overlay()["patches"]


def patch_id(entry: dict[str, Any]) -> str:
    name = entry["definition"].rsplit(".", 1)[-1]
    return f"{name}.{entry.get('property', '')}{'/drop' if 'drop_required' in entry else ''}"


def stored_definition(name: str, version: str) -> dict[str, Any] | None:
    """The published (uncorrected) definition of a version, or None when it has none."""
    ranges = _index()["definitions"].get(name)
    digest = _pick(ranges, int(version.split(".")[1])) if ranges is not None else None
    return _stored(digest) if digest is not None else None


@pytest.mark.parametrize("entry", PATCHES, ids=patch_id)
def test_every_entry_names_its_source_and_exists(entry: dict[str, Any]) -> None:
    assert isinstance(entry.get("source"), str) and len(entry["source"]) > 20
    present = [
        (version, definition)
        for version in supported_versions()
        if _applies(entry, version)
        and (definition := stored_definition(entry["definition"], version)) is not None
    ]
    assert present, f"{entry['definition']} is in no bundled version"
    for version, definition in present:
        if "property" in entry:
            assert entry["property"] in definition["properties"], version
        if "drop_required" in entry:
            assert set(entry["drop_required"]) <= set(definition.get("required", ())), version
    if "format" in entry:
        assert entry["format"] in load_overlay()["formats"]


POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "p"},
    "spec": {"containers": [{"name": "c", "image": "i"}]},
}
SERVICE: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "s"},
    "spec": {"ports": [{"port": 80}]},
}

# (document, path to the enum field, a valid value) for the enums of the overlay
ENUM_CASES: list[tuple[str, dict[str, Any], tuple[str | int, ...], str]] = [
    ("ServiceSpec.type", SERVICE, ("spec", "type"), "NodePort"),
    ("ServiceSpec.externalTrafficPolicy", SERVICE, ("spec", "externalTrafficPolicy"), "Local"),
    ("ServiceSpec.internalTrafficPolicy", SERVICE, ("spec", "internalTrafficPolicy"), "Cluster"),
    ("ServiceSpec.sessionAffinity", SERVICE, ("spec", "sessionAffinity"), "ClientIP"),
    ("ServiceSpec.ipFamilyPolicy", SERVICE, ("spec", "ipFamilyPolicy"), "PreferDualStack"),
    ("ServicePort.protocol", SERVICE, ("spec", "ports", 0, "protocol"), "SCTP"),
    ("Container.imagePullPolicy", POD, ("spec", "containers", 0, "imagePullPolicy"), "Never"),
    (
        "Container.terminationMessagePolicy",
        POD,
        ("spec", "containers", 0, "terminationMessagePolicy"),
        "File",
    ),
    ("PodSpec.restartPolicy", POD, ("spec", "restartPolicy"), "OnFailure"),
    ("PodSpec.dnsPolicy", POD, ("spec", "dnsPolicy"), "ClusterFirstWithHostNet"),
]


def with_value(
    document: dict[str, Any], path: tuple[str | int, ...], value: object
) -> dict[str, Any]:
    result = copy.deepcopy(document)
    node: Any = result
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return result


@pytest.mark.parametrize(
    ("name", "document", "path", "good"), ENUM_CASES, ids=[c[0] for c in ENUM_CASES]
)
@pytest.mark.parametrize("version", ["1.32", "1.37"])
def test_enum(
    name: str, document: dict[str, Any], path: tuple[str | int, ...], good: str, version: str
) -> None:
    validator = SchemaValidator.for_version(version)
    for accepted in (good, "", None):
        assert validator.validate(with_value(document, path, accepted)) == [], accepted
    for rejected in (good.lower(), "Bogus"):
        result = validator.validate(with_value(document, path, rejected))
        assert found(result) == {(RULE_ENUM_INVALID, path, "value")}
        assert good in result[0].message


JOB: dict[str, Any] = {
    "apiVersion": "batch/v1",
    "kind": "Job",
    "metadata": {"name": "j"},
    "spec": {
        "template": {
            "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "i"}]}
        },
        "podFailurePolicy": {
            "rules": [{"action": "Ignore", "onExitCodes": {"operator": "In", "values": [1]}}]
        },
    },
}
RULE = ("spec", "podFailurePolicy", "rules", 0)

# fields whose validation rejects "" (NotSupported or Required): optional pointers accept null
# (nil is not validated), required fields report null once, as missing, not as an enum error;
# (document, path, a valid value, the first version that validates the field)
REQUIRED = {
    "PodOS.name",
    "ContainerResizePolicy.restartPolicy",
    "PodFailurePolicyRule.action",
    "PodFailurePolicyOnExitCodesRequirement.operator",
}
POINTER_ENUM_CASES: list[tuple[str, dict[str, Any], tuple[str | int, ...], str, str]] = [
    ("PodSpec.preemptionPolicy", POD, ("spec", "preemptionPolicy"), "Never", "1.32"),
    (
        "PodOS.name",
        with_value(POD, ("spec", "os"), {"name": "linux"}),
        ("spec", "os", "name"),
        "windows",
        "1.32",
    ),
    (
        "Container.restartPolicy",
        with_value(POD, ("spec", "initContainers"), [{"name": "s", "image": "i"}]),
        ("spec", "initContainers", 0, "restartPolicy"),
        "Always",
        "1.32",
    ),
    (
        "ContainerResizePolicy.restartPolicy",
        with_value(
            POD,
            ("spec", "containers", 0, "resizePolicy"),
            [{"resourceName": "cpu", "restartPolicy": "NotRequired"}],
        ),
        ("spec", "containers", 0, "resizePolicy", 0, "restartPolicy"),
        "RestartContainer",
        "1.32",
    ),
    (
        "PodSecurityContext.fsGroupChangePolicy",
        with_value(POD, ("spec", "securityContext"), {}),
        ("spec", "securityContext", "fsGroupChangePolicy"),
        "OnRootMismatch",
        "1.32",
    ),
    (
        "PodSecurityContext.supplementalGroupsPolicy",
        with_value(POD, ("spec", "securityContext"), {}),
        ("spec", "securityContext", "supplementalGroupsPolicy"),
        "Strict",
        "1.33",
    ),
    (
        "VolumeMount.mountPropagation",
        with_value(
            POD, ("spec", "containers", 0, "volumeMounts"), [{"name": "v", "mountPath": "/v"}]
        ),
        ("spec", "containers", 0, "volumeMounts", 0, "mountPropagation"),
        "HostToContainer",
        "1.32",
    ),
    ("JobSpec.podReplacementPolicy", JOB, ("spec", "podReplacementPolicy"), "Failed", "1.32"),
    ("PodFailurePolicyRule.action", JOB, (*RULE, "action"), "FailJob", "1.32"),
    (
        "PodFailurePolicyOnExitCodesRequirement.operator",
        JOB,
        (*RULE, "onExitCodes", "operator"),
        "NotIn",
        "1.32",
    ),
]


@pytest.mark.parametrize(
    ("name", "document", "path", "good", "since"),
    POINTER_ENUM_CASES,
    ids=[c[0] for c in POINTER_ENUM_CASES],
)
@pytest.mark.parametrize("version", ["1.32", "1.37"])
def test_pointer_enum(
    name: str,
    document: dict[str, Any],
    path: tuple[str | int, ...],
    good: str,
    since: str,
    version: str,
) -> None:
    validator = SchemaValidator.for_version(version)
    assert validator.validate(with_value(document, path, good)) == []
    null = found(validator.validate(with_value(document, path, None)))
    assert null == ({(RULE_REQUIRED_MISSING, path, "value")} if name in REQUIRED else set())
    validated = int(version.split(".")[1]) >= int(since.split(".")[1])
    for rejected in ("", "Bogus"):
        result = validator.validate(with_value(document, path, rejected))
        if not validated:
            assert result == [], rejected  # the field is dropped, not validated, then
            continue
        assert found(result) == {(RULE_ENUM_INVALID, path, "value")}, rejected
        assert good in result[0].message


@pytest.mark.parametrize(
    ("value", "container_port", "ok"),
    [
        ("TCP", 80, True),
        ("UDP", 53, True),
        ("SCTP", 9, True),
        ("tcp", 80, False),
        ("HTTP", 80, False),
    ],
)
def test_container_port_protocol(
    validator: SchemaValidator, value: str, container_port: int, ok: bool
) -> None:
    pod = with_value(
        POD,
        ("spec", "containers", 0, "ports"),
        [{"containerPort": container_port, "protocol": value}],
    )
    assert (validator.validate(pod) == []) is ok


def test_list_item_enums(validator: SchemaValidator) -> None:
    text = """
    apiVersion: v1
    kind: PersistentVolumeClaim
    metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce, ReadWriteSometimes]
      volumeMode: Filesystem
      resources: {requests: {storage: 10Gi}}
    """
    assert found(problems(validator, text)) == {
        (RULE_ENUM_INVALID, ("spec", "accessModes", 1), "value")
    }


VALID_QUANTITIES = [
    "0.5",
    "512Mi",
    "1e3",
    "100m",
    "2G",
    "1.5Gi",
    "10",
    "0",
    "1E",
    "1e-3",
    " 1Gi ",
    0.5,
    2,
    1000000,
]
INVALID_QUANTITIES = ["2GB", "512mi", "500mi", "1 Gi", "1Kb", "1K", "1e", "", "one", "1.5.Gi", True]


@pytest.mark.parametrize("value", VALID_QUANTITIES)
def test_valid_quantities(validator: SchemaValidator, value: object) -> None:
    assert is_valid_quantity(value)
    pod = with_value(POD, ("spec", "containers", 0, "resources"), {"requests": {"memory": value}})
    assert validator.validate(pod) == []


@pytest.mark.parametrize("value", INVALID_QUANTITIES)
def test_invalid_quantities(validator: SchemaValidator, value: object) -> None:
    assert not is_valid_quantity(value)
    path = ("spec", "containers", 0, "resources", "limits", "memory")
    pod = with_value(POD, path[:-2], {"limits": {"memory": value}})
    rule = "schema-type-mismatch" if isinstance(value, bool) else RULE_FORMAT_INVALID
    assert found(validator.validate(pod)) == {(rule, path, "value")}


def test_negative_resource_request(validator: SchemaValidator) -> None:
    pod = with_value(POD, ("spec", "containers", 0, "resources"), {"requests": {"cpu": "-100m"}})
    assert found(validator.validate(pod)) == {
        (RULE_VALUE_INVALID, ("spec", "containers", 0, "resources", "requests", "cpu"), "value")
    }


@pytest.mark.parametrize(
    ("storage", "ok"), [("10Gi", True), ("10GB", False), ("1e9", True), ("10gi", False)]
)
def test_pvc_storage_quantity(validator: SchemaValidator, storage: str, ok: bool) -> None:
    text = f"""
    apiVersion: v1
    kind: PersistentVolumeClaim
    metadata: {{name: data}}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {{requests: {{storage: "{storage}"}}}}
    """
    result = problems(validator, text)
    assert (result == []) is ok
    if not ok:
        assert found(result) == {
            (RULE_FORMAT_INVALID, ("spec", "resources", "requests", "storage"), "value")
        }


def test_int_or_percent(validator: SchemaValidator) -> None:
    text = """
    apiVersion: policy/v1
    kind: PodDisruptionBudget
    metadata: {name: web}
    spec:
      minAvailable: 50
      selector: {matchLabels: {app: web}}
    """
    assert problems(validator, text) == []
    for value, rule in [
        ("50%", None),
        ("1", "schema-type-mismatch"),
        ("half", RULE_FORMAT_INVALID),
    ]:
        document = load(text)
        document["spec"]["minAvailable"] = value
        result = validator.validate(document)
        assert {p.rule for p in result} == ({rule} if rule else set()), value


STATEFULSET = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: postgres:16}]
"""


@pytest.mark.parametrize("version", supported_versions())
def test_statefulset_service_name_may_be_missing(version: str) -> None:
    assert SchemaValidator.for_version(version).validate(load(STATEFULSET)) == []


@pytest.mark.parametrize("version", supported_versions())
def test_corrected_requirements(version: str) -> None:
    validator = SchemaValidator.for_version(version)
    policy = """
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: deny}
    spec: {policyTypes: [Ingress]}
    """
    assert problems(validator, policy) == []
    binding = """
    apiVersion: rbac.authorization.k8s.io/v1
    kind: RoleBinding
    metadata: {name: read}
    roleRef: {kind: Role, name: reader}
    subjects: [{kind: ServiceAccount, name: app}]
    """
    assert problems(validator, binding) == []
    # still enforced: a container needs a name
    pod = copy.deepcopy(POD)
    del pod["spec"]["containers"][0]["name"]
    assert found(validator.validate(pod)) == {
        (RULE_REQUIRED_MISSING, ("spec", "containers", 0), "key")
    }


def test_quantity_pattern_of_the_overlay_agrees_with_the_parser() -> None:
    import re

    from kpolicy.k8s.quantity import is_valid_quantity as parser

    quantity = load_overlay()["formats"]["quantity"]
    pattern = re.compile(quantity["pattern"])
    for text in quantity["examples_valid"]:
        assert pattern.fullmatch(text.strip()) and parser(text), text
    for text in quantity["examples_invalid"]:
        assert not (text.strip() and pattern.fullmatch(text.strip())), text
        assert not parser(text), text


def test_overlay_json_is_written_from_the_yaml() -> None:
    """kpolicy reads schemas/overlay.json; schemas/overlay.yaml is what people edit."""
    import json
    from pathlib import Path

    import yaml

    from kpolicy.schema import OVERLAY_JSON_PATH, OVERLAY_PATH

    written = json.loads(Path(OVERLAY_JSON_PATH).read_text(encoding="utf-8"))
    written.pop("generated")
    assert written == yaml.safe_load(Path(OVERLAY_PATH).read_text(encoding="utf-8")), (
        "schemas/overlay.json is stale: run python tools/gen_schemas.py --overlay"
    )
