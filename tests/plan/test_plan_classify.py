"""What a change does (classify_change) and the dispatch by kind (plan_for)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kpolicy.plan import PlanContext, classify_change, plan_document, plan_for

from .support import changed, check, daemonset, deployment, new_image, nodes, statefulset


def test_no_objects() -> None:
    assert classify_change(None, None) == ("none", [], None)


def test_create_and_delete() -> None:
    assert classify_change(deployment(), None) == ("create", [], None)
    assert classify_change(None, deployment()) == ("delete", [], None)


@pytest.mark.parametrize(
    ("new", "old", "kind", "paths"),
    [
        (deployment(5), deployment(3), "scale", ["/spec/replicas"]),
        (
            new_image(deployment(3)),
            deployment(3),
            "rollout",
            ["/spec/template/spec/containers/0/image"],
        ),
        (
            new_image(deployment(5)),
            deployment(3),
            "rollout+scale",
            ["/spec/replicas", "/spec/template/spec/containers/0/image"],
        ),
        (deployment(3), deployment(3), "none", []),
        (
            changed(deployment(3), "metadata", "labels", value={"team": "a"}),
            deployment(3),
            "none",
            ["/metadata/labels"],
        ),
        (statefulset(3, ordinals={"start": 1}), statefulset(3), "scale", ["/spec/ordinals"]),
        (
            new_image(daemonset()),
            daemonset(),
            "rollout",
            ["/spec/template/spec/containers/0/image"],
        ),
    ],
)
def test_change_kinds_and_paths(
    new: dict[str, Any], old: dict[str, Any], kind: str, paths: list[str]
) -> None:
    got_kind, got_paths, rejected = classify_change(new, old)
    assert (got_kind, got_paths, rejected) == (kind, paths, None)


def test_server_fields_and_last_applied_are_ignored() -> None:
    old = deployment(3)
    live = copy.deepcopy(old)
    live["metadata"].update(
        resourceVersion="42",
        uid="abc",
        generation=7,
        creationTimestamp="2025-01-01T00:00:00Z",
        managedFields=[{"manager": "kubectl"}],
        annotations={"kubectl.kubernetes.io/last-applied-configuration": "{}"},
    )
    live["status"] = {"replicas": 3}
    assert classify_change(old, live) == ("none", [], None)


def test_template_changes_are_compared_semantically() -> None:
    old = deployment(3)
    new = copy.deepcopy(old)
    new["spec"]["template"]["spec"]["containers"][0]["env"] = []
    new["spec"]["template"]["metadata"]["annotations"] = None
    kind, _, _ = classify_change(new, old)
    assert kind == "none"


def test_paths_escape_json_pointer_tokens() -> None:
    old = deployment(3)
    new = changed(old, "metadata", "annotations", value={"example.com/a~b": "x"})
    assert classify_change(new, old)[1] == ["/metadata/annotations"]
    newer = changed(new, "metadata", "annotations", value={"example.com/a~b": "y"})
    assert classify_change(newer, new)[1] == ["/metadata/annotations/example.com~1a~0b"]


def test_deployment_selector_is_immutable() -> None:
    old = deployment(3)
    new = changed(old, "spec", "selector", value={"matchLabels": {"app": "api"}})
    _, _, rejected = classify_change(new, old)
    assert rejected is not None
    assert rejected.startswith("spec.selector changed")


def test_equivalent_selectors_are_not_a_change() -> None:
    old = deployment(3)
    new = changed(
        old, "spec", "selector", value={"matchLabels": {"app": "web"}, "matchExpressions": []}
    )
    assert classify_change(new, old)[2] is None


def test_statefulset_rejection_names_every_field() -> None:
    old = statefulset(3)
    new = changed(old, "spec", "serviceName", value="other")
    new["spec"]["podManagementPolicy"] = "Parallel"
    _, _, rejected = classify_change(new, old)
    assert rejected is not None
    assert rejected.startswith("spec.podManagementPolicy, spec.serviceName changed")


# --- plan_for ------------------------------------------------------------------------------


def test_plan_for_dispatches_by_kind() -> None:
    deployment_plan = plan_for(deployment(2))
    assert deployment_plan is not None and deployment_plan.object.kind == "Deployment"
    stateful_plan = plan_for(statefulset(2), context=PlanContext(kubernetes_version="1.34"))
    assert stateful_plan is not None and stateful_plan.object.kind == "StatefulSet"
    daemon_plan = plan_for(daemonset(), context=PlanContext(nodes=nodes(2)))
    assert daemon_plan is not None and daemon_plan.replicas == 2


@pytest.mark.parametrize(
    "obj",
    [
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}},
        {"kind": "ReplicaSet"},
        {},
        {"kind": ["Deployment"]},
    ],
)
def test_plan_for_other_kinds(obj: dict[str, Any]) -> None:
    assert plan_for(obj) is None


def test_plan_for_nothing() -> None:
    assert plan_for(None, None) is None


def test_plan_for_create_in_diff_mode() -> None:
    plan = plan_for(statefulset(2), None, diff=True)
    assert plan is not None and plan.change == "create"


def test_plan_for_deletion() -> None:
    plan = plan_for(None, statefulset(3))
    out = check(plan)
    assert out["change"] == "delete"
    assert out["steps"] == []
    assert out["replicas"] == 3
    assert any("garbage collector" in note for note in out["notes"])
    assert plan_for(None, {"kind": "ConfigMap"}) is None


def test_plan_document() -> None:
    plans = [plan_for(deployment(2)), plan_for(statefulset(1)), plan_for(daemonset())]
    document = plan_document(
        [plan for plan in plans if plan is not None],
        cluster_domain="c.local",
        kubernetes_version="1.35",
    )
    assert document["version"] == 1
    assert document["clusterDomain"] == "c.local"
    assert document["kubernetesVersion"] == "1.35"
    assert [w["object"]["kind"] for w in document["workloads"]] == [
        "Deployment",
        "StatefulSet",
        "DaemonSet",
    ]
