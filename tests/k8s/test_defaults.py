from __future__ import annotations

import copy
from types import MappingProxyType
from typing import Any

import pytest

from kpolicy.k8s.defaults import apps_v1_defaults


def test_deployment_empty_spec() -> None:
    assert apps_v1_defaults("Deployment", {}) == {
        "replicas": 1,
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
        },
        "revisionHistoryLimit": 10,
        "progressDeadlineSeconds": 600,
        "minReadySeconds": 0,
    }


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        # each field of rollingUpdate is defaulted on its own
        (
            {"rollingUpdate": {"maxSurge": 0}},
            {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": "25%"}},
        ),
        (
            {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0}},
            {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}},
        ),
        (
            {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 2, "maxSurge": "50%"}},
            {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 2, "maxSurge": "50%"}},
        ),
        # Recreate gets no rollingUpdate (and one written by hand is left for validation)
        ({"type": "Recreate"}, {"type": "Recreate"}),
        (
            {"type": "Recreate", "rollingUpdate": {"maxSurge": 1}},
            {"type": "Recreate", "rollingUpdate": {"maxSurge": 1}},
        ),
        # an unknown type is left for validation to report
        ({"type": "BlueGreen"}, {"type": "BlueGreen"}),
        # wrong types are treated as absent
        (
            {"type": 3, "rollingUpdate": "x"},
            {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
            },
        ),
        (
            {"rollingUpdate": {"maxSurge": [1], "maxUnavailable": True}},
            {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
            },
        ),
    ],
)
def test_deployment_strategy(strategy: object, expected: dict[str, Any]) -> None:
    assert apps_v1_defaults("Deployment", {"strategy": strategy})["strategy"] == expected


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("replicas", 3, 3),
        ("replicas", 0, 0),
        ("replicas", None, 1),
        ("replicas", "3", 1),
        ("replicas", True, 1),
        ("replicas", 3.0, 3),
        ("replicas", 2.5, 1),
        ("revisionHistoryLimit", 0, 0),
        ("revisionHistoryLimit", None, 10),
        ("progressDeadlineSeconds", 60, 60),
        ("progressDeadlineSeconds", [], 600),
        ("minReadySeconds", 5, 5),
        ("minReadySeconds", "5", 0),
    ],
)
def test_deployment_scalars(field: str, value: object, expected: int) -> None:
    assert apps_v1_defaults("Deployment", {field: value})[field] == expected


def test_daemonset_empty_spec() -> None:
    assert apps_v1_defaults("DaemonSet", {}) == {
        "updateStrategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
        },
        "revisionHistoryLimit": 10,
        "minReadySeconds": 0,
    }


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        # setting only maxSurge keeps maxUnavailable at 1 (which validation then rejects)
        (
            {"rollingUpdate": {"maxSurge": 1}},
            {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}},
        ),
        (
            {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "10%", "maxUnavailable": 0}},
            {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "10%", "maxUnavailable": 0}},
        ),
        ({"type": "OnDelete"}, {"type": "OnDelete"}),
        (None, {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}),
    ],
)
def test_daemonset_strategy(strategy: object, expected: dict[str, Any]) -> None:
    assert apps_v1_defaults("DaemonSet", {"updateStrategy": strategy})["updateStrategy"] == expected


def test_daemonset_has_no_replicas() -> None:
    assert "replicas" not in apps_v1_defaults("DaemonSet", {})


def test_statefulset_empty_spec() -> None:
    assert apps_v1_defaults("StatefulSet", {}) == {
        "podManagementPolicy": "OrderedReady",
        "updateStrategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {"partition": 0, "maxUnavailable": 1},
        },
        "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
        "replicas": 1,
        "revisionHistoryLimit": 10,
        "minReadySeconds": 0,
    }


def test_statefulset_without_max_unavailable_gate() -> None:
    result = apps_v1_defaults("StatefulSet", {}, max_unavailable_statefulset=False)
    assert result["updateStrategy"]["rollingUpdate"] == {"partition": 0}


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        # an explicit RollingUpdate without a rollingUpdate block stays without one
        ({"type": "RollingUpdate"}, {"type": "RollingUpdate"}),
        ({"type": "RollingUpdate", "rollingUpdate": "x"}, {"type": "RollingUpdate"}),
        (
            {"type": "RollingUpdate", "rollingUpdate": {}},
            {"type": "RollingUpdate", "rollingUpdate": {"partition": 0, "maxUnavailable": 1}},
        ),
        (
            {"rollingUpdate": {"partition": 2}},
            {"type": "RollingUpdate", "rollingUpdate": {"partition": 2, "maxUnavailable": 1}},
        ),
        (
            {"rollingUpdate": {"maxUnavailable": "50%"}},
            {"type": "RollingUpdate", "rollingUpdate": {"partition": 0, "maxUnavailable": "50%"}},
        ),
        ({"type": "OnDelete"}, {"type": "OnDelete"}),
        (
            {"type": "OnDelete", "rollingUpdate": {"partition": 1}},
            {"type": "OnDelete", "rollingUpdate": {"partition": 1}},
        ),
    ],
)
def test_statefulset_strategy(strategy: object, expected: dict[str, Any]) -> None:
    result = apps_v1_defaults("StatefulSet", {"updateStrategy": strategy})
    assert result["updateStrategy"] == expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"podManagementPolicy": "Parallel"}, "Parallel"),
        ({"podManagementPolicy": ""}, "OrderedReady"),
        ({"podManagementPolicy": 1}, "OrderedReady"),
    ],
)
def test_statefulset_pod_management_policy(spec: dict[str, object], expected: str) -> None:
    assert apps_v1_defaults("StatefulSet", spec)["podManagementPolicy"] == expected


def test_statefulset_retention_policy_partial() -> None:
    result = apps_v1_defaults(
        "StatefulSet", {"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete"}}
    )
    assert result["persistentVolumeClaimRetentionPolicy"] == {
        "whenDeleted": "Delete",
        "whenScaled": "Retain",
    }


def test_replicaset() -> None:
    assert apps_v1_defaults("ReplicaSet", {}) == {"replicas": 1, "minReadySeconds": 0}


def test_unknown_kind_is_copied() -> None:
    spec = {"a": {"b": [1]}}
    result = apps_v1_defaults("Job", spec)
    assert result == spec
    result["a"]["b"].append(2)
    assert spec == {"a": {"b": [1]}}


@pytest.mark.parametrize("kind", ["Deployment", "DaemonSet", "StatefulSet", "ReplicaSet"])
def test_input_is_never_mutated(kind: str) -> None:
    spec = {
        "replicas": 2,
        "strategy": {"rollingUpdate": {"maxSurge": 1}},
        "updateStrategy": {"rollingUpdate": {}},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": []}},
    }
    before = copy.deepcopy(spec)
    result = apps_v1_defaults(kind, spec)
    assert spec == before
    result["template"]["metadata"]["labels"]["app"] = "changed"
    assert spec == before


@pytest.mark.parametrize("spec", [None, "spec", 3, ["replicas"], True])
def test_hostile_spec_is_treated_as_empty(spec: object) -> None:
    assert apps_v1_defaults("Deployment", spec) == apps_v1_defaults("Deployment", {})


def test_read_only_mapping_input() -> None:
    spec = MappingProxyType({"replicas": 2, "strategy": MappingProxyType({"type": "Recreate"})})
    result = apps_v1_defaults("Deployment", spec)
    assert result["replicas"] == 2
    assert result["strategy"] == {"type": "Recreate"}


SHARED_CASES = [
    {},
    {"replicas": 2, "strategy": {"rollingUpdate": {"maxSurge": 1}}},
    {"strategy": {"type": "Recreate"}, "updateStrategy": {"type": "OnDelete"}},
    {
        "updateStrategy": {"rollingUpdate": {"partition": 2}},
        "podManagementPolicy": "Parallel",
        "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete"},
    },
    {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": "bad"}, "replicas": "x"},
    {"template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{}]}}},
]


@pytest.mark.parametrize("kind", ["Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job"])
@pytest.mark.parametrize("spec", SHARED_CASES)
@pytest.mark.parametrize("gate", [True, False])
def test_shared_result_equals_the_copy_and_leaves_the_input(
    kind: str, spec: dict[str, Any], gate: bool
) -> None:
    before = copy.deepcopy(spec)
    shared = apps_v1_defaults(kind, spec, max_unavailable_statefulset=gate, shared=True)
    assert shared == apps_v1_defaults(kind, spec, max_unavailable_statefulset=gate)
    assert spec == before
    if "template" in spec:
        assert shared["template"] is spec["template"]  # not copied: that is the point
