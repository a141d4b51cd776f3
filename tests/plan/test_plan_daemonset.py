"""DaemonSet plans: node placement, surge and unavailability, and the controller's own tests.

The rows named after Go tests restate pkg/controller/daemon/update_test.go: that test runs one
sync, marks the new Pods ready, runs the next; each sync creates and deletes a number of Pods.
Here a step is the state after one sync, so (creates, deletes) per sync become (new, old).
"""

from __future__ import annotations

from typing import Any

import pytest

from kpolicy.plan import HYPOTHETICAL_NODE_COUNT, PlanContext, daemonset_plan

from .support import check, counts, daemonset, node, nodes, service, steps

CONTROL_PLANE_TAINT = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}


def _unavailable(value: object) -> dict[str, object]:
    return {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": value}}


def _surge(value: object) -> dict[str, object]:
    return {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": value, "maxUnavailable": 0}}


# --- update_test.go ----------------------------------------------------------------------------


def test_updates_pods() -> None:
    # TestDaemonSetUpdatesPods: 5 nodes, maxUnavailable 2 → delete 2, create 2, delete 2,
    # create 2, delete 1, create 1
    plan = daemonset_plan(
        daemonset(update_strategy=_unavailable(2)), context=PlanContext(nodes=nodes(5))
    )
    check(plan)
    assert counts(plan) == [(0, 3), (2, 3), (2, 1), (4, 1), (4, 0), (5, 0)]
    assert plan.bounds.max_pods == 5 and plan.bounds.min_available == 3
    assert min(step.available for step in plan.steps) == 3


def test_updates_pods_with_max_surge() -> None:
    # TestDaemonSetUpdatesPodsWithMaxSurge: 5 nodes, maxSurge 2 → create 2; create 2 and delete 2;
    # create 1 and delete 2; delete 1
    plan = daemonset_plan(daemonset(update_strategy=_surge(2)), context=PlanContext(nodes=nodes(5)))
    out = check(plan)
    assert out["steps"] == [
        {"new": 2, "old": 5},
        {"new": 4, "old": 3},
        {"new": 5, "old": 1},
        {"new": 5, "old": 0},
    ]
    assert out["strategy"]["maxSurge"] == 2 and out["strategy"]["maxUnavailable"] == 0
    assert out["bounds"] == {"maxPods": 7, "minAvailable": 5}
    assert all(step.available == 5 for step in plan.steps)
    assert max(step.total for step in plan.steps) == 7


def test_updates_when_max_unavailable_is_three() -> None:
    # TestDaemonSetUpdatesWhenNewPodIsNotReady / SomeOldPodsNotReady: delete 3, then create 3
    plan = daemonset_plan(
        daemonset(update_strategy=_unavailable(3)), context=PlanContext(nodes=nodes(5))
    )
    assert counts(plan) == [(0, 2), (3, 2), (3, 0), (5, 0)]


def test_updates_ten_at_a_time_on_twenty_nodes() -> None:
    # TestDaemonSetUpdatesSaveOldHealthyPods, first update: delete 10, create 10, ...
    plan = daemonset_plan(
        daemonset(update_strategy=_unavailable(10)), context=PlanContext(nodes=nodes(20))
    )
    assert counts(plan) == [(0, 10), (10, 10), (10, 0), (20, 0)]


def test_updates_pods_not_matching_taints_with_max_surge() -> None:
    # TestDaemonSetUpdatesPodsNotMatchTainstWithMaxSurge: the old template tolerated the taint
    # of node-0, the new one does not; the Pod on node-0 goes while others stay available
    cluster = [node("node-0", taints=[CONTROL_PLANE_TAINT]), *nodes(5)[1:]]
    toleration = {"key": CONTROL_PLANE_TAINT["key"], "operator": "Exists"}
    old = daemonset(update_strategy=_surge(1), tolerations=[toleration])
    new = daemonset(update_strategy=_surge(1), image="agent:2")
    plan = daemonset_plan(new, old, context=PlanContext(nodes=cluster))
    out = check(plan)
    assert out["replicas"] == 4
    assert out["nodes"][0] == {
        "name": "node-0",
        "runs": False,
        "reason": "taint node-role.kubernetes.io/control-plane:NoSchedule not tolerated",
    }
    # (creates, deletes) per sync: (1, 1), (1, 1), (1, 1), (1, 1), (0, 1)
    assert counts(plan) == [(1, 4), (2, 3), (3, 2), (4, 1), (4, 0)]


# --- rounding, placement and strategies --------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "surge", "unavailable"),
    [
        (_unavailable("30%"), 0, 2),  # 1.5 rounds up
        (_unavailable("10%"), 0, 1),  # 0.5 rounds up
        (_unavailable("100%"), 0, 5),
        (_surge("10%"), 1, 0),
        (_surge("50%"), 3, 0),  # 2.5 rounds up
        (None, 0, 1),  # the defaults
    ],
)
def test_percentages_round_up(strategy: object, surge: int, unavailable: int) -> None:
    plan = daemonset_plan(daemonset(update_strategy=strategy), context=PlanContext(nodes=nodes(5)))
    check(plan)
    assert (plan.strategy.max_surge, plan.strategy.max_unavailable) == (surge, unavailable)
    assert plan.bounds.max_pods == 5 + surge
    assert plan.bounds.min_available == 5 - unavailable


def test_surge_without_explicit_zero_unavailable_is_rejected() -> None:
    # SetDefaults_DaemonSet fills maxUnavailable 1 next to maxSurge 2; validation refuses both
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 2}}
    plan = daemonset_plan(daemonset(update_strategy=strategy), context=PlanContext(nodes=nodes(5)))
    check(plan)
    assert (plan.strategy.max_surge, plan.strategy.max_unavailable) == (2, 1)
    assert any("set maxUnavailable: 0 to surge" in note for note in plan.notes)


def test_both_zero_is_rejected_and_one_pod_may_be_unavailable() -> None:
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": "0%"}}
    plan = daemonset_plan(daemonset(update_strategy=strategy), context=PlanContext(nodes=nodes(2)))
    assert plan.strategy.max_unavailable == 1
    assert counts(plan) == [(0, 1), (1, 1), (1, 0), (2, 0)]


def test_placement_by_node_selector_and_taints() -> None:
    cluster = [
        node("ssd-1", labels={"disk": "ssd"}),
        node("hdd-1", labels={"disk": "hdd"}),
        node(
            "ssd-tainted",
            labels={"disk": "ssd"},
            taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}],
        ),
        # the controller tolerates this taint by itself
        node(
            "ssd-cordoned",
            labels={"disk": "ssd"},
            taints=[{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}],
        ),
    ]
    plan = daemonset_plan(
        daemonset(nodeSelector={"disk": "ssd"}), context=PlanContext(nodes=cluster)
    )
    out = check(plan)
    assert out["nodes"] == [
        {"name": "ssd-1", "runs": True},
        {"name": "hdd-1", "runs": False, "reason": "node selector disk=ssd does not match"},
        {
            "name": "ssd-tainted",
            "runs": False,
            "reason": "taint dedicated=gpu:NoSchedule not tolerated",
        },
        {"name": "ssd-cordoned", "runs": True},
    ]
    assert out["replicas"] == 2
    assert counts(plan) == [(0, 1), (1, 1), (1, 0), (2, 0)]


def test_without_nodes_three_hypothetical_nodes() -> None:
    plan = daemonset_plan(daemonset())
    out = check(plan)
    assert out["replicas"] == HYPOTHETICAL_NODE_COUNT == 3
    assert out["nodes"] == []
    assert out["steps"] == [
        {"new": 0, "old": 2},
        {"new": 1, "old": 2},
        {"new": 1, "old": 1},
        {"new": 2, "old": 1},
        {"new": 2, "old": 0},
        {"new": 3, "old": 0},
    ]
    assert any("3 hypothetical nodes" in note for note in plan.notes)


def test_on_delete() -> None:
    plan = daemonset_plan(
        daemonset(update_strategy={"type": "OnDelete"}), context=PlanContext(nodes=nodes(3))
    )
    out = check(plan)
    assert out["steps"] == []
    assert out["strategy"]["type"] == "OnDelete"
    assert out["bounds"] == {"maxPods": 3, "minAvailable": 3}
    assert any("OnDelete" in note for note in plan.notes)


def test_on_delete_still_places_pods_on_new_nodes() -> None:
    old = daemonset(update_strategy={"type": "OnDelete"}, nodeSelector={"disk": "ssd"})
    new = daemonset(update_strategy={"type": "OnDelete"})
    cluster = [node("a", labels={"disk": "ssd"}), node("b")]
    plan = daemonset_plan(new, old, context=PlanContext(nodes=cluster))
    assert plan.change == "rollout"
    assert steps(plan) == [{"new": 1, "old": 1}]


def test_create() -> None:
    plan = daemonset_plan(daemonset(), diff=True, context=PlanContext(nodes=nodes(4)))
    out = check(plan)
    assert out["change"] == "create"
    assert out["steps"] == [{"new": 4, "old": 0}]


def test_no_change() -> None:
    plan = daemonset_plan(daemonset(), daemonset(), context=PlanContext(nodes=nodes(2)))
    assert plan.change == "none"
    assert plan.steps == ()


def test_node_selector_change_moves_the_daemon() -> None:
    old = daemonset(nodeSelector={"disk": "ssd"})
    new = daemonset(nodeSelector={"disk": "hdd"})
    cluster = [node("a", labels={"disk": "ssd"}), node("b", labels={"disk": "hdd"})]
    plan = daemonset_plan(new, old, context=PlanContext(nodes=cluster))
    check(plan)
    # manage removes the Pod that no longer fits and creates the one that does in one sync
    assert counts(plan) == [(1, 0)]


def test_selector_change_is_rejected() -> None:
    old = daemonset()
    new = daemonset()
    new["spec"]["selector"] = {"matchLabels": {"app": "agent", "v": "2"}}
    plan = daemonset_plan(new, old, context=PlanContext(nodes=nodes(2)))
    assert plan.rejected is not None and "immutable" in plan.rejected
    assert plan.steps == ()


def test_hostile_nodes_do_not_raise() -> None:
    cluster: list[object] = [
        "node-a",
        None,
        {"metadata": "x"},
        {"spec": {"taints": "x"}},
        node("ok"),
    ]
    plan = daemonset_plan(daemonset(), context=PlanContext(nodes=cluster))
    out = check(plan)
    assert [entry["runs"] for entry in out["nodes"]][:2] == [False, False]
    assert out["nodes"][-1] == {"name": "ok", "runs": True}


def test_hostname_in_a_daemonset_template() -> None:
    plan = daemonset_plan(
        daemonset(hostname="agent", subdomain="nginx"),
        context=PlanContext(
            services=[service("nginx", namespace="kube-system", selector={"app": "agent"})]
        ),
    )
    check(plan)
    assert plan.pods[0].fqdn == "agent.nginx.kube-system.svc.cluster.local"


# --- surge with host ports (daemonset-surge-with-host-port) --------------------------------------


def _with_host_port(port: int = 9100, **extra: Any) -> dict[str, Any]:
    ds = daemonset(update_strategy=_surge(2), **extra)
    ds["spec"]["template"]["spec"]["containers"][0]["ports"] = [
        {"containerPort": port, "hostPort": port}
    ]
    return ds


def test_surge_with_a_host_port_stalls_after_the_first_step() -> None:
    # rollingUpdate (surge): a new Pod on each of maxSurge nodes; it cannot be scheduled while
    # the old Pod holds the port, so it never becomes available and the old one stays
    plan = daemonset_plan(_with_host_port(), context=PlanContext(nodes=nodes(5)))
    out = check(plan)
    assert out["steps"] == [{"new": 2, "old": 5}]
    assert [step.available for step in plan.steps] == [5]
    assert out["stalled"]["after"] == 1
    reason = out["stalled"]["reason"]
    assert "host port 9100/TCP (container app)" in reason and "on 2 nodes" in reason
    assert "daemonset-surge-with-host-port" in reason
    assert out["rejected"] is None


def test_surge_with_host_network_stalls_on_its_container_ports() -> None:
    ds = daemonset(update_strategy=_surge(1), hostNetwork=True)
    ds["spec"]["template"]["spec"]["containers"][0]["ports"] = [{"containerPort": 8080}]
    plan = daemonset_plan(ds, context=PlanContext(nodes=nodes(3)))
    assert counts(plan) == [(1, 3)]
    assert plan.stalled is not None and "8080/TCP" in plan.stalled.reason


def test_host_port_without_surge_replaces_in_place() -> None:
    ds = _with_host_port()
    ds["spec"]["updateStrategy"] = _unavailable(1)
    plan = daemonset_plan(ds, context=PlanContext(nodes=nodes(3)))
    assert plan.stalled is None
    assert counts(plan)[-1] == (3, 0)


def test_surge_with_a_changed_host_port_does_not_stall() -> None:
    # the new Pods ask for 9101, the old ones hold 9100: nothing keeps them apart
    plan = daemonset_plan(
        _with_host_port(9101), _with_host_port(9100), context=PlanContext(nodes=nodes(3))
    )
    assert plan.stalled is None
    assert counts(plan)[-1] == (3, 0)
    # the same port in both versions stalls
    old = _with_host_port(9100, image="agent:0")
    stalled = daemonset_plan(_with_host_port(9100), old, context=PlanContext(nodes=nodes(3)))
    assert stalled.stalled is not None and counts(stalled) == [(2, 3)]


def test_a_new_node_gets_its_pod_while_the_surge_stalls() -> None:
    # a node without an old Pod has no conflict: it runs the new Pod at once
    plan = daemonset_plan(_with_host_port(), context=PlanContext(nodes=nodes(3)))
    assert plan.stalled is not None
    old = _with_host_port(image="agent:0")
    old["spec"]["template"]["spec"]["nodeSelector"] = {"old": "yes"}
    grown = [node("node-0", labels={"old": "yes"}), node("node-1"), node("node-2")]
    plan = daemonset_plan(_with_host_port(), old, context=PlanContext(nodes=grown))
    out = check(plan)
    # node-1 and node-2 run the new Pod; node-0's new Pod waits for the port for good
    assert counts(plan) == [(3, 1)]
    assert out["stalled"]["after"] == 1 and "on 1 node," in out["stalled"]["reason"]
