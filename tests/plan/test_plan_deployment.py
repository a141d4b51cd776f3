"""Deployment plans: facts from the deployment controller's unit tests, then worked cases.

The table rows marked with a Go test name restate that test's inputs and expectations
(pkg/controller/deployment/util/deployment_util_test.go and sync_test.go).
"""

from __future__ import annotations

from typing import Any

import pytest

from kpolicy.plan import (
    PlanContext,
    ReplicaSetState,
    deployment_max_surge,
    deployment_max_unavailable,
    deployment_plan,
    deployment_scale,
    new_rs_new_replicas,
)

from .support import changed, check, counts, deployment, new_image, service, steps

# --- TestResolveFenceposts (through MaxSurge / MaxUnavailable) ------------------------------


@pytest.mark.parametrize(
    ("max_surge", "max_unavailable", "desired", "surge", "unavailable"),
    [
        ("0%", "0%", 0, 0, 0),  # fenceposts give (0, 1); MaxUnavailable is 0 for 0 replicas
        ("39%", "39%", 10, 4, 3),
        ("0%", "39%", 10, 0, 3),
        ("39%", "0%", 10, 4, 0),
        ("0%", "0%", 10, 0, 1),  # both zero: one Pod may be unavailable
        (1, 1, 2, 1, 1),
        ("25%", "25%", 8, 2, 2),  # surge rounds up, unavailable rounds down
        ("25%", "25%", 10, 3, 2),
        (0, 0, 5, 0, 1),
    ],
)
def test_resolve_fenceposts(
    max_surge: object, max_unavailable: object, desired: int, surge: int, unavailable: int
) -> None:
    assert deployment_max_surge(desired, max_surge, max_unavailable) == surge
    assert deployment_max_unavailable(desired, max_surge, max_unavailable) == unavailable


# --- TestMaxUnavailable ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("replicas", "max_unavailable", "expected"),
    [
        (10, 5, 5),
        (10, 10, 10),
        (5, 10, 5),  # never more than replicas
        (0, 10, 0),
        (10, "50%", 5),
        (10, "100%", 10),
        (5, "100%", 5),
    ],
)
def test_max_unavailable(replicas: int, max_unavailable: object, expected: int) -> None:
    assert deployment_max_unavailable(replicas, 1, max_unavailable) == expected


def test_max_unavailable_and_surge_of_recreate_are_zero() -> None:
    assert deployment_max_unavailable(10, 1, 1, rolling=False) == 0
    assert deployment_max_surge(10, 1, 1, rolling=False) == 0


# --- TestNewRSNewReplicas (allRSs holds one ReplicaSet of 5) ---------------------------------


@pytest.mark.parametrize(
    ("rolling", "dep_replicas", "new_rs_replicas", "max_surge", "expected"),
    [
        (True, 1, 5, 1, 5),  # can not scale up: stays at the new RS's replicas
        (True, 6, 2, 10, 6),  # scale up, capped at the Deployment's replicas
        (False, 3, 1, 1, 3),  # Recreate goes straight to the Deployment's replicas
    ],
)
def test_new_rs_new_replicas(
    rolling: bool, dep_replicas: int, new_rs_replicas: int, max_surge: int, expected: int
) -> None:
    got = new_rs_new_replicas(dep_replicas, max_surge, [5], new_rs_replicas, rolling=rolling)
    assert got == expected


# --- TestScale (proportional scaling) ---------------------------------------------------------


def _rs(
    replicas: int, previous: int, previous_surge: int = 0, available: int = 0
) -> ReplicaSetState:
    # the test sets the desired/max replicas annotations from the previous Deployment
    return ReplicaSetState(replicas, available, previous, previous + previous_surge)


@pytest.mark.parametrize(
    ("replicas", "surge", "previous", "previous_surge", "new", "old", "want_new", "want_old"),
    [
        # normal scaling event: 10 -> 12 / 10 -> 5
        (12, 0, 10, 0, 10, [], 12, []),
        (5, 0, 10, 0, 10, [], 5, []),
        # proportional scaling: 5 -> 10, 5 -> 3, 9 -> 4
        (10, 0, 5, 0, 2, [3], 4, [6]),
        (3, 0, 5, 0, 2, [3], 1, [2]),
        (4, 0, 9, 0, 8, [1], 4, [0]),
        # proportional scaling: 7 -> 10 and 13 -> 8 (old sets listed oldest first)
        (10, 0, 7, 0, 2, [2, 3], 3, [3, 4]),
        (8, 0, 13, 0, 2, [3, 8], 1, [2, 5]),
        # leftover distribution: 3 -> 4 scales up the new set, 3 -> 2 scales down the oldest
        (4, 0, 3, 0, 1, [1, 1], 2, [1, 1]),
        (2, 0, 3, 0, 1, [1, 1], 1, [0, 1]),
        # proportional scaling (no new rs): 4 -> 5 scales up the latest set first
        (5, 0, 4, 0, None, [2, 2], None, [2, 3]),
        # 6 -> 0 and 0 -> 6
        (0, 0, 6, 0, 3, [1, 2], 0, [0, 0]),
        (6, 0, 6, 0, 0, [0, 0], 6, [0, 0]),
        # deployment with surge pods; change both surge and size
        (20, 2, 10, 2, 6, [6], 11, [11]),
        (50, 6, 10, 3, 5, [8], 22, [34]),
        # change both size and template (the new set does not exist yet)
        (14, 0, 10, 0, None, [3, 7], None, [4, 10]),
    ],
)
def test_scale(
    replicas: int,
    surge: int,
    previous: int,
    previous_surge: int,
    new: int | None,
    old: list[int],
    want_new: int | None,
    want_old: list[int],
) -> None:
    new_set = None if new is None else _rs(new, previous, previous_surge)
    old_sets = [_rs(size, previous, previous_surge) for size in old]
    assert deployment_scale(replicas, surge, new_set, old_sets) == (want_new, tuple(want_old))


def test_scale_saturated_but_broken_new_replica_set_does_not_touch_old_pods() -> None:
    # saturated but broken new replica set does not affect old pods
    new_set = ReplicaSetState(2, 0, 2, 3)
    old_set = ReplicaSetState(1, 1, 2, 3)
    assert deployment_scale(2, 1, new_set, [old_set]) == (2, (1,))


def test_scale_saturated_new_replica_set_scales_old_ones_to_zero() -> None:
    new_set = ReplicaSetState(4, 4, 4, 5)
    old_set = ReplicaSetState(1, 1, 4, 5)
    assert deployment_scale(4, 1, new_set, [old_set]) == (4, (0,))
    assert old_set.replicas == 1  # the inputs are not changed


# --- worked cases -------------------------------------------------------------------------


def test_default_strategy_ten_replicas() -> None:
    plan = deployment_plan(deployment(10))
    out = check(plan)
    assert out["change"] == "rollout"
    assert out["strategy"] == {
        "type": "RollingUpdate",
        "maxSurge": 3,
        "maxUnavailable": 2,
        "partition": None,
        "podManagementPolicy": None,
    }
    assert out["bounds"] == {"maxPods": 13, "minAvailable": 8}
    # the sync that creates the new ReplicaSet also scales the old one down
    assert out["steps"] == [
        {"new": 3, "old": [8]},
        {"new": 5, "old": [8]},
        {"new": 5, "old": [3]},
        {"new": 10, "old": [3]},
        {"new": 10, "old": [0]},
    ]
    assert [step.total for step in plan.steps] == [11, 13, 8, 13, 10]
    assert [step.available for step in plan.steps] == [8, 11, 8, 8, 10]
    assert min(step.available for step in plan.steps) == plan.bounds.min_available
    assert max(step.total for step in plan.steps) == plan.bounds.max_pods


def test_surge_only() -> None:
    plan = deployment_plan(
        deployment(4, strategy={"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}})
    )
    check(plan)
    assert counts(plan) == [(1, 4), (1, 3), (2, 3), (2, 2), (3, 2), (3, 1), (4, 1), (4, 0)]
    assert all(step.available >= 4 for step in plan.steps)
    assert plan.bounds.max_pods == 5 and plan.bounds.min_available == 4


def test_unavailable_only() -> None:
    plan = deployment_plan(
        deployment(
            4,
            strategy={
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1},
            },
        )
    )
    check(plan)
    # the new ReplicaSet is created empty: there is no room for a surge Pod
    assert steps(plan)[0] == {"new": 0, "old": [3]}
    assert counts(plan) == [(0, 3), (1, 3), (1, 2), (2, 2), (2, 1), (3, 1), (3, 0), (4, 0)]
    assert max(step.total for step in plan.steps) == 4


def test_both_zero_lets_one_pod_be_unavailable() -> None:
    plan = deployment_plan(
        deployment(2, strategy={"rollingUpdate": {"maxSurge": 0, "maxUnavailable": "0%"}})
    )
    check(plan)
    assert plan.strategy.max_unavailable == 1
    assert counts(plan) == [(0, 1), (1, 1), (1, 0), (2, 0)]
    assert any("both 0" in note for note in plan.notes)


def test_small_deployment_rounds_unavailable_down_to_zero() -> None:
    plan = deployment_plan(deployment(3))
    assert (plan.strategy.max_surge, plan.strategy.max_unavailable) == (1, 0)
    assert counts(plan)[0] == (1, 3)
    assert all(step.available >= 3 for step in plan.steps)


def test_full_surge() -> None:
    plan = deployment_plan(
        deployment(4, strategy={"rollingUpdate": {"maxSurge": "100%", "maxUnavailable": 1}})
    )
    check(plan)
    assert steps(plan) == [{"new": 4, "old": [3]}, {"new": 4, "old": [0]}]


def test_recreate() -> None:
    plan = deployment_plan(deployment(10, strategy={"type": "Recreate"}))
    out = check(plan)
    assert out["steps"] == [{"new": 0, "old": [0]}, {"new": 10, "old": [0]}]
    assert out["strategy"]["type"] == "Recreate"
    assert out["strategy"]["maxSurge"] is None and out["strategy"]["maxUnavailable"] is None
    assert out["bounds"] == {"maxPods": 10, "minAvailable": 0}
    assert plan.steps[0].available == 0
    assert any("Recreate" in note for note in plan.notes)


def test_zero_replicas_has_no_steps() -> None:
    plan = deployment_plan(deployment(0))
    check(plan)
    assert plan.steps == ()
    assert plan.bounds.max_pods == 0 and plan.bounds.min_available == 0


def test_replicas_default_to_one() -> None:
    manifest = deployment(1)
    del manifest["spec"]["replicas"]
    plan = deployment_plan(manifest)
    check(plan)
    assert plan.replicas == 1
    assert counts(plan) == [(1, 1), (1, 0)]


# --- with a previous version ---------------------------------------------------------------


def test_scale_only_change() -> None:
    old = deployment(4)
    plan = deployment_plan(deployment(10), old)
    out = check(plan)
    assert out["change"] == "scale"
    assert out["steps"] == [{"new": 10, "old": []}]
    assert plan.changed_fields == ("/spec/replicas",)


def test_scale_down_only_change() -> None:
    plan = deployment_plan(deployment(3), deployment(8))
    assert plan.change == "scale"
    assert steps(plan) == [{"new": 3, "old": []}]


def test_rollout_and_scale_scales_the_old_replica_set_first() -> None:
    old = new_image(deployment(4))
    plan = deployment_plan(deployment(10), old)
    check(plan)
    assert plan.change == "rollout+scale"
    assert steps(plan) == [
        {"new": 0, "old": [10]},
        {"new": 3, "old": [8]},
        {"new": 5, "old": [8]},
        {"new": 5, "old": [3]},
        {"new": 10, "old": [3]},
        {"new": 10, "old": [0]},
    ]


def test_rollout_with_previous_version_matches_the_assumed_rollout() -> None:
    plan = deployment_plan(deployment(10), new_image(deployment(10)))
    assert plan.change == "rollout"
    assert plan.changed_fields == ("/spec/template/spec/containers/0/image",)
    assert counts(plan) == counts(deployment_plan(deployment(10)))


def test_no_change() -> None:
    plan = deployment_plan(deployment(5), deployment(5))
    check(plan)
    assert plan.change == "none"
    assert plan.steps == ()


def test_strategy_only_change_changes_no_pods() -> None:
    old = deployment(5)
    new = deployment(5, strategy={"rollingUpdate": {"maxSurge": 2}})
    plan = deployment_plan(new, old)
    assert plan.change == "none"
    assert plan.steps == ()
    assert "/spec/strategy" in plan.changed_fields


def test_create() -> None:
    plan = deployment_plan(deployment(10), diff=True)
    out = check(plan)
    assert out["change"] == "create"
    assert out["steps"] == [{"new": 10, "old": []}]


def test_create_recreate() -> None:
    plan = deployment_plan(deployment(3, strategy={"type": "Recreate"}), diff=True)
    assert steps(plan) == [{"new": 3, "old": []}]


def test_paused_deployment_does_not_roll_out() -> None:
    new = deployment(5, paused=True)
    plan = deployment_plan(new, new_image(deployment(5)))
    check(plan)
    assert plan.change == "rollout"
    assert plan.steps == ()
    assert any("paused" in note for note in plan.notes)


def test_paused_deployment_still_scales() -> None:
    plan = deployment_plan(deployment(5, paused=True), new_image(deployment(3)))
    assert steps(plan) == [{"new": 0, "old": [5]}]


def test_selector_change_is_rejected() -> None:
    old = deployment(3)
    new = changed(old, "spec", "selector", value={"matchLabels": {"app": "web", "tier": "x"}})
    new = changed(new, "spec", "template", "metadata", "labels", value={"app": "web", "tier": "x"})
    plan = deployment_plan(new, old)
    out = check(plan)
    assert out["rejected"] is not None and "spec.selector" in out["rejected"]
    assert out["steps"] == []


def test_min_ready_seconds_is_noted() -> None:
    plan = deployment_plan(deployment(2, minReadySeconds=30))
    assert any("minReadySeconds 30" in note for note in plan.notes)


# --- DNS of Deployment Pods ------------------------------------------------------------------


def _with_dns(hostname: str | None, subdomain: str | None) -> dict[str, Any]:
    manifest = deployment(3)
    pod = manifest["spec"]["template"]["spec"]
    if hostname is not None:
        pod["hostname"] = hostname
    if subdomain is not None:
        pod["subdomain"] = subdomain
    return manifest


def test_shared_fqdn_of_deployment_replicas() -> None:
    plan = deployment_plan(
        _with_dns("db", "nginx"), context=PlanContext(services=[service("nginx")])
    )
    out = check(plan)
    assert out["pods"] == [
        {
            "name": None,
            "ordinal": None,
            "hostname": "db",
            "subdomain": "nginx",
            "fqdn": "db.nginx.default.svc.cluster.local",
            "updated": True,
        }
    ]
    assert out["serviceDomain"] == "nginx.default.svc.cluster.local"
    assert any("same hostname" in note for note in plan.notes)


def test_deployment_hostname_without_service() -> None:
    plan = deployment_plan(_with_dns("db", "nginx"))
    assert plan.pods[0].fqdn is None
    assert any("no Service 'nginx'" in note for note in plan.notes)


def test_deployment_without_hostname_has_no_pod_names() -> None:
    assert deployment_plan(deployment(3)).pods == ()
    plan = deployment_plan(
        _with_dns(None, "nginx"), context=PlanContext(services=[service("nginx")])
    )
    assert plan.pods == ()
    assert any("generated name" in note for note in plan.notes)


def test_custom_cluster_domain() -> None:
    plan = deployment_plan(
        _with_dns("db", "nginx"),
        context=PlanContext(services=[service("nginx")], cluster_domain="k8s.example"),
    )
    assert plan.pods[0].fqdn == "db.nginx.default.svc.k8s.example"
