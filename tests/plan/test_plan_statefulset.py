"""StatefulSet plans: creation order, update order, partition, ordinals, maxUnavailable, DNS."""

from __future__ import annotations

import pytest

from kpolicy.plan import PlanContext, feature_gate_enabled, statefulset_plan

from .support import changed, check, new_image, service, statefulset, steps

ROLLOUT_3 = [
    {"delete": ["web-2"]},
    {"create": ["web-2"]},
    {"delete": ["web-1"]},
    {"create": ["web-1"]},
    {"delete": ["web-0"]},
    {"create": ["web-0"]},
]


# --- feature gates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "enabled"),
    [("1.23", False), ("1.24", False), ("1.34", False), ("1.35", True), ("1.37", True)],
)
def test_max_unavailable_statefulset_gate_defaults(version: str, enabled: bool) -> None:
    assert feature_gate_enabled("MaxUnavailableStatefulSet", version) is enabled


@pytest.mark.parametrize(
    ("version", "enabled"), [("1.25", False), ("1.26", False), ("1.27", True), ("1.31", True)]
)
def test_start_ordinal_gate_defaults(version: str, enabled: bool) -> None:
    assert feature_gate_enabled("StatefulSetStartOrdinal", version) is enabled


def test_feature_gate_override_and_unknown_version() -> None:
    assert (
        feature_gate_enabled(
            "MaxUnavailableStatefulSet", "1.30", {"MaxUnavailableStatefulSet": True}
        )
        is True
    )
    assert (
        feature_gate_enabled(
            "MaxUnavailableStatefulSet", "1.37", {"MaxUnavailableStatefulSet": False}
        )
        is False
    )
    assert feature_gate_enabled("MaxUnavailableStatefulSet", "not a version") is True
    assert feature_gate_enabled("NoSuchGate", "1.37") is False


# --- creation --------------------------------------------------------------------------------


def test_ordered_ready_creates_one_pod_per_step() -> None:
    plan = statefulset_plan(statefulset(3), diff=True, context=PlanContext(services=[service()]))
    out = check(plan)
    assert out["change"] == "create"
    assert out["steps"] == [{"create": ["web-0"]}, {"create": ["web-1"]}, {"create": ["web-2"]}]
    assert out["updateOrder"] == []
    assert out["pods"][0] == {
        "name": "web-0",
        "ordinal": 0,
        "hostname": "web-0",
        "subdomain": "nginx",
        "fqdn": "web-0.nginx.default.svc.cluster.local",
        "updated": True,
    }
    assert out["serviceDomain"] == "nginx.default.svc.cluster.local"


def test_parallel_creates_all_pods_at_once() -> None:
    plan = statefulset_plan(statefulset(3, podManagementPolicy="Parallel"), diff=True)
    check(plan)
    assert steps(plan) == [{"create": ["web-0", "web-1", "web-2"]}]
    assert plan.strategy.pod_management_policy == "Parallel"


def test_ordinals_start_names_the_pods() -> None:
    plan = statefulset_plan(statefulset(2, ordinals={"start": 5}), diff=True)
    check(plan)
    assert steps(plan) == [{"create": ["web-5"]}, {"create": ["web-6"]}]
    assert [pod.ordinal for pod in plan.pods] == [5, 6]


def test_ordinals_start_is_ignored_when_its_gate_is_off() -> None:
    plan = statefulset_plan(
        statefulset(2, ordinals={"start": 5}),
        diff=True,
        context=PlanContext(kubernetes_version="1.26"),
    )
    assert steps(plan) == [{"create": ["web-0"]}, {"create": ["web-1"]}]
    assert any("ordinals.start 5 is ignored" in note for note in plan.notes)


# --- rolling update ----------------------------------------------------------------------------


def test_rolling_update_from_the_highest_ordinal() -> None:
    plan = statefulset_plan(statefulset(3), context=PlanContext(services=[service()]))
    out = check(plan)
    assert out["change"] == "rollout"
    assert out["steps"] == ROLLOUT_3
    assert out["updateOrder"] == ["web-2", "web-1", "web-0"]
    assert out["strategy"] == {
        "type": "RollingUpdate",
        "maxSurge": None,
        "maxUnavailable": 1,
        "partition": 0,
        "podManagementPolicy": "OrderedReady",
    }
    assert out["bounds"] == {"maxPods": 3, "minAvailable": 2}
    assert all(pod["updated"] for pod in out["pods"])
    assert [step.available for step in plan.steps] == [2, 2, 2, 2, 2, 2]


def test_parallel_rolling_update_still_goes_one_pod_at_a_time() -> None:
    plan = statefulset_plan(statefulset(3, podManagementPolicy="Parallel"))
    assert steps(plan) == ROLLOUT_3


def test_partition_holds_back_the_lower_ordinals() -> None:
    plan = statefulset_plan(statefulset(5, update_strategy={"rollingUpdate": {"partition": 2}}))
    out = check(plan)
    assert out["updateOrder"] == ["web-4", "web-3", "web-2"]
    assert [(pod["name"], pod["updated"]) for pod in out["pods"]] == [
        ("web-0", False),
        ("web-1", False),
        ("web-2", True),
        ("web-3", True),
        ("web-4", True),
    ]
    assert any("holds back web-0, web-1" in note for note in plan.notes)


def test_partition_not_below_replicas_updates_nothing() -> None:
    plan = statefulset_plan(statefulset(3, update_strategy={"rollingUpdate": {"partition": 3}}))
    check(plan)
    assert plan.steps == ()
    assert plan.update_order == ()
    assert any("no Pod is updated" in note for note in plan.notes)


def test_partition_counts_from_ordinals_start() -> None:
    # kubernetes/kubernetes#128529: replicas 9, start 2, partition 5 keeps 2..6 and updates 7..10
    plan = statefulset_plan(
        statefulset(9, ordinals={"start": 2}, update_strategy={"rollingUpdate": {"partition": 5}})
    )
    out = check(plan)
    assert out["updateOrder"] == ["web-10", "web-9", "web-8", "web-7"]
    assert [pod["name"] for pod in out["pods"] if not pod["updated"]] == [
        "web-2",
        "web-3",
        "web-4",
        "web-5",
        "web-6",
    ]
    assert any("counts from ordinals.start 2" in note for note in plan.notes)


def test_on_delete_updates_nothing() -> None:
    plan = statefulset_plan(statefulset(3, update_strategy={"type": "OnDelete"}))
    out = check(plan)
    assert out["steps"] == []
    assert out["strategy"]["type"] == "OnDelete"
    assert out["strategy"]["partition"] is None and out["strategy"]["maxUnavailable"] is None
    assert not any(pod["updated"] for pod in out["pods"])
    assert any("OnDelete" in note for note in plan.notes)


# --- maxUnavailable and the MaxUnavailableStatefulSet gate ----------------------------------


MAX2 = {"rollingUpdate": {"maxUnavailable": 2}}


def test_max_unavailable_ordered_ready_deletes_two_and_recreates_in_order() -> None:
    plan = statefulset_plan(
        statefulset(5, update_strategy=MAX2), context=PlanContext(kubernetes_version="1.35")
    )
    check(plan, kubernetes_version="1.35")
    assert plan.strategy.max_unavailable == 2
    assert plan.bounds.min_available == 3
    assert steps(plan) == [
        {"delete": ["web-4", "web-3"]},
        {"create": ["web-3"]},
        {"create": ["web-4"]},
        {"delete": ["web-2", "web-1"]},
        {"create": ["web-1"]},
        {"create": ["web-2"]},
        {"delete": ["web-0"]},
        {"create": ["web-0"]},
    ]
    assert plan.update_order == ("web-4", "web-3", "web-2", "web-1", "web-0")


def test_max_unavailable_parallel() -> None:
    plan = statefulset_plan(statefulset(5, update_strategy=MAX2, podManagementPolicy="Parallel"))
    assert steps(plan) == [
        {"delete": ["web-4", "web-3"]},
        {"create": ["web-3", "web-4"]},
        {"delete": ["web-2", "web-1"]},
        {"create": ["web-1", "web-2"]},
        {"delete": ["web-0"]},
        {"create": ["web-0"]},
    ]
    assert min(step.available for step in plan.steps) == 3


def test_max_unavailable_respects_the_partition() -> None:
    strategy = {"rollingUpdate": {"maxUnavailable": 2, "partition": 3}}
    plan = statefulset_plan(statefulset(5, update_strategy=strategy))
    assert steps(plan) == [
        {"delete": ["web-4", "web-3"]},
        {"create": ["web-3"]},
        {"create": ["web-4"]},
    ]


@pytest.mark.parametrize("version", ["1.24", "1.30", "1.34"])
def test_max_unavailable_is_ignored_while_the_gate_is_off(version: str) -> None:
    plan = statefulset_plan(
        statefulset(3, update_strategy=MAX2), context=PlanContext(kubernetes_version=version)
    )
    check(plan, kubernetes_version=version)
    assert steps(plan) == ROLLOUT_3
    assert plan.strategy.max_unavailable == 1
    assert any("maxUnavailable 2 is ignored" in note for note in plan.notes)


def test_feature_gates_override_the_version_default() -> None:
    on = statefulset_plan(
        statefulset(3, update_strategy=MAX2),
        context=PlanContext(
            kubernetes_version="1.34", feature_gates={"MaxUnavailableStatefulSet": True}
        ),
    )
    assert steps(on)[0] == {"delete": ["web-2", "web-1"]}
    off = statefulset_plan(
        statefulset(3, update_strategy=MAX2),
        context=PlanContext(feature_gates={"MaxUnavailableStatefulSet": False}),
    )
    assert steps(off) == ROLLOUT_3
    assert any("--feature-gates" in note for note in off.notes)


@pytest.mark.parametrize(("value", "resolved"), [("50%", 2), ("10%", 1), ("100%", 5), (3, 3)])
def test_max_unavailable_percentages_round_down_but_not_below_one(
    value: object, resolved: int
) -> None:
    plan = statefulset_plan(
        statefulset(5, update_strategy={"rollingUpdate": {"maxUnavailable": value}})
    )
    assert plan.strategy.max_unavailable == resolved


def test_max_unavailable_zero_is_rejected_and_planned_as_one() -> None:
    plan = statefulset_plan(
        statefulset(3, update_strategy={"rollingUpdate": {"maxUnavailable": 0}})
    )
    check(plan)
    assert plan.strategy.max_unavailable == 1
    assert any("maxUnavailable is 0" in note for note in plan.notes)


# --- scaling and changes from a previous version -----------------------------------------


def test_scale_up_ordered_ready() -> None:
    plan = statefulset_plan(statefulset(5), statefulset(3))
    check(plan)
    assert plan.change == "scale"
    assert steps(plan) == [{"create": ["web-3"]}, {"create": ["web-4"]}]


def test_scale_up_parallel() -> None:
    plan = statefulset_plan(
        statefulset(5, podManagementPolicy="Parallel"),
        statefulset(3, podManagementPolicy="Parallel"),
    )
    assert steps(plan) == [{"create": ["web-3", "web-4"]}]


def test_scale_down_from_the_highest_ordinal() -> None:
    plan = statefulset_plan(statefulset(3), statefulset(5))
    assert steps(plan) == [{"delete": ["web-4"]}, {"delete": ["web-3"]}]
    parallel = statefulset_plan(
        statefulset(3, podManagementPolicy="Parallel"),
        statefulset(5, podManagementPolicy="Parallel"),
    )
    assert steps(parallel) == [{"delete": ["web-4", "web-3"]}]


def test_scale_up_and_rollout_creates_new_pods_before_updating() -> None:
    plan = statefulset_plan(statefulset(4), new_image(statefulset(2)))
    check(plan)
    assert plan.change == "rollout+scale"
    assert steps(plan) == [
        {"create": ["web-2"]},
        {"create": ["web-3"]},
        {"delete": ["web-1"]},
        {"create": ["web-1"]},
        {"delete": ["web-0"]},
        {"create": ["web-0"]},
    ]


def test_scale_down_and_rollout_deletes_condemned_pods_first() -> None:
    plan = statefulset_plan(statefulset(2), new_image(statefulset(4)))
    assert steps(plan) == [
        {"delete": ["web-3"]},
        {"delete": ["web-2"]},
        {"delete": ["web-1"]},
        {"create": ["web-1"]},
        {"delete": ["web-0"]},
        {"create": ["web-0"]},
    ]


def test_new_pods_below_the_partition_get_the_current_revision() -> None:
    new = statefulset(4, update_strategy={"rollingUpdate": {"partition": 3}})
    plan = statefulset_plan(new, new_image(statefulset(2)))
    assert steps(plan) == [{"create": ["web-2"]}, {"create": ["web-3"]}]
    assert [(pod.name, pod.updated) for pod in plan.pods] == [
        ("web-0", False),
        ("web-1", False),
        ("web-2", False),
        ("web-3", True),
    ]


def test_changing_ordinals_start_moves_the_pods() -> None:
    plan = statefulset_plan(statefulset(2, ordinals={"start": 3}), statefulset(2))
    check(plan)
    assert plan.change == "scale"
    assert steps(plan) == [
        {"create": ["web-3"]},
        {"create": ["web-4"]},
        {"delete": ["web-1"]},
        {"delete": ["web-0"]},
    ]


def test_no_change() -> None:
    plan = statefulset_plan(statefulset(3), statefulset(3))
    assert plan.change == "none"
    assert plan.steps == ()
    assert all(pod.updated for pod in plan.pods)


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("serviceName", "other", "spec.serviceName"),
        ("podManagementPolicy", "Parallel", "spec.podManagementPolicy"),
        (
            "volumeClaimTemplates",
            [
                {
                    "metadata": {"name": "data"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "1Gi"}},
                    },
                }
            ],
            "spec.volumeClaimTemplates",
        ),
        ("selector", {"matchLabels": {"app": "web", "x": "y"}}, "spec.selector"),
    ],
)
def test_forbidden_statefulset_updates_are_rejected(field: str, value: object, named: str) -> None:
    old = statefulset(3)
    new = new_image(changed(old, "spec", field, value=value))
    plan = statefulset_plan(new, old)
    out = check(plan)
    assert out["rejected"] is not None and named in out["rejected"]
    assert out["steps"] == []
    assert [pod["name"] for pod in out["pods"]] == ["web-0", "web-1", "web-2"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("replicas", 5),
        ("ordinals", {"start": 1}),
        ("updateStrategy", {"type": "OnDelete"}),
        ("minReadySeconds", 10),
        ("revisionHistoryLimit", 3),
        ("persistentVolumeClaimRetentionPolicy", {"whenDeleted": "Delete"}),
        ("podManagementPolicy", "OrderedReady"),  # the default, written out
    ],
)
def test_allowed_statefulset_updates(field: str, value: object) -> None:
    old = statefulset(3)
    assert statefulset_plan(changed(old, "spec", field, value=value), old).rejected is None


# --- DNS ------------------------------------------------------------------------------------


def test_pods_without_a_service_get_no_fqdn() -> None:
    plan = statefulset_plan(statefulset(2))
    out = check(plan)
    assert [pod["fqdn"] for pod in out["pods"]] == [None, None]
    assert [pod["subdomain"] for pod in out["pods"]] == ["nginx", "nginx"]
    assert out["serviceDomain"] is None
    assert any("no Service 'nginx' in namespace 'default'" in note for note in plan.notes)


def test_service_in_another_namespace_does_not_count() -> None:
    plan = statefulset_plan(
        statefulset(1), context=PlanContext(services=[service(namespace="other")])
    )
    assert plan.pods[0].fqdn is None


def test_service_that_is_not_headless() -> None:
    plan = statefulset_plan(statefulset(1), context=PlanContext(services=[service(headless=False)]))
    check(plan)
    assert plan.pods[0].fqdn is None
    assert plan.service_domain == "nginx.default.svc.cluster.local"
    assert any("not headless" in note for note in plan.notes)


def test_service_selector_must_match_the_pods() -> None:
    plan = statefulset_plan(
        statefulset(1), context=PlanContext(services=[service(selector={"app": "api"})])
    )
    assert plan.pods[0].fqdn is None
    assert any("does not match the Pod labels" in note for note in plan.notes)


def test_service_without_selector() -> None:
    svc = service()
    del svc["spec"]["selector"]
    plan = statefulset_plan(statefulset(1), context=PlanContext(services=[svc]))
    assert plan.pods[0].fqdn is None
    assert any("no selector" in note for note in plan.notes)


def test_no_service_name() -> None:
    plan = statefulset_plan(statefulset(2, service_name=None))
    out = check(plan)
    assert [pod["subdomain"] for pod in out["pods"]] == [None, None]
    assert [pod["hostname"] for pod in out["pods"]] == ["web-0", "web-1"]
    assert any("serviceName is not set" in note for note in plan.notes)


def test_fqdn_uses_the_namespace_and_cluster_domain() -> None:
    manifest = statefulset(1)
    manifest["metadata"]["namespace"] = "shop"
    plan = statefulset_plan(
        manifest,
        context=PlanContext(services=[service(namespace="shop")], cluster_domain="corp.internal"),
    )
    assert plan.pods[0].fqdn == "web-0.nginx.shop.svc.corp.internal"
    assert plan.service_domain == "nginx.shop.svc.corp.internal"


def test_missing_namespace_means_default() -> None:
    manifest = statefulset(1)
    del manifest["metadata"]["namespace"]
    plan = statefulset_plan(manifest, context=PlanContext(services=[service()]))
    assert plan.pods[0].fqdn == "web-0.nginx.default.svc.cluster.local"


def test_pod_name_longer_than_a_dns_label() -> None:
    name = "x" * 62
    plan = statefulset_plan(
        statefulset(1, name=name), context=PlanContext(services=[service(selector={"app": name})])
    )
    check(plan)
    assert plan.service_domain == "nginx.default.svc.cluster.local"
    assert plan.pods[0].fqdn is None
    assert any("longer than 63 characters" in note for note in plan.notes)
