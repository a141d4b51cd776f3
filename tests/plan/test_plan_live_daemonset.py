"""DaemonSets planned from the live state (daemon/update.go ``rollingUpdate`` over the live
Pods): nodes from the Pods and --nodes, each Pod's revision by ``controller-revision-hash``,
a broken update revision (stuck, or --assume-ready), a revert that reuses a
ControllerRevision, an unready old Pod replaced outside the budget, and surge."""

from __future__ import annotations

from typing import Any

from kpolicy.plan import PlanContext
from kpolicy.plan.daemonset_live import daemonset_live_plan
from kpolicy.plan.data import DaemonSetStart, plan_document
from kpolicy.plan.live import LiveWorkload, live_state

from .live_support import NS, manifest_template, owner, pod, template


def daemonset(
    image: str, *, surge: int = 0, unavailable: int = 1, status: bool = True
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "agent", "namespace": NS, "uid": "uid-daemonset-agent"},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "updateStrategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable},
            },
            "template": template(image, {"app": "agent"}),
        },
    }
    if status:
        obj["status"] = {"desiredNumberScheduled": 4, "numberReady": 3}
    return obj


def revision(hash_: str, number: int, image: str, *, label: bool = True) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": f"agent-{hash_}",
        "namespace": NS,
        "ownerReferences": owner("DaemonSet", "agent"),
    }
    if label:
        metadata["labels"] = {"app": "agent", "controller-revision-hash": hash_}
    return {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": metadata,
        "revision": number,
        "data": {"spec": {"template": {"$patch": "replace", **template(image, {"app": "agent"})}}},
    }


def daemon_pod(name: str, node: str, hash_: str, *, ready: bool = True) -> dict[str, Any]:
    return pod(
        name,
        "DaemonSet",
        "agent",
        ready=ready,
        node=node,
        labels={"app": "agent", "controller-revision-hash": hash_},
        reason="CrashLoopBackOff",
    )


def _live(*objects: dict[str, Any]) -> LiveWorkload:
    state = live_state(objects)
    assert state.warnings == ()
    workload = state.get("DaemonSet", NS, "agent")
    assert workload is not None
    return workload


def _half_way(broken: bool = True, **kwargs: Any) -> LiveWorkload:
    # from 1.0 (revision 1, hash aaa) to 2.0 (revision 2, hash bbb): node-a and node-b run
    # 2.0, and node-b's Pod crash-loops
    return _live(
        daemonset("agent:2.0", **kwargs),
        revision("aaa", 1, "agent:1.0"),
        revision("bbb", 2, "agent:2.0"),
        daemon_pod("agent-a", "node-a", "bbb"),
        daemon_pod("agent-b", "node-b", "bbb", ready=not broken),
        daemon_pod("agent-c", "node-c", "aaa"),
        daemon_pod("agent-d", "node-d", "aaa"),
    )


def _node(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels or {}}}


def test_start_is_the_live_pods_by_node_revision_and_readiness() -> None:
    plan = daemonset_live_plan(_half_way())
    assert isinstance(plan.start, DaemonSetStart)
    assert plan.start.to_json() == {
        "new": 2,
        "old": 2,
        "pods": [
            {"name": "agent-a", "revision": "bbb", "ready": True, "node": "node-a"},
            {"name": "agent-b", "revision": "bbb", "ready": False, "node": "node-b"},
            {"name": "agent-c", "revision": "aaa", "ready": True, "node": "node-c"},
            {"name": "agent-d", "revision": "aaa", "ready": True, "node": "node-d"},
        ],
    }
    assert plan.start.available == 3
    assert plan.replicas == 4 and plan.change == "none"


def test_a_broken_update_revision_uses_up_max_unavailable_and_is_stuck() -> None:
    # rollingUpdate without surge: agent-b (new, not available) counts against
    # maxUnavailable 1, so no old Pod is deleted
    plan = daemonset_live_plan(_half_way())
    assert plan.steps == ()
    assert plan.progress == "stuck"
    assert plan.stuck_reason is not None
    assert "agent-b (CrashLoopBackOff) on node-b" in plan.stuck_reason
    assert "maxUnavailable" in plan.stuck_reason and "2 nodes keep a Pod" in plan.stuck_reason
    assert plan.revision == 2
    assert plan.ready_at_end == 3


def test_a_larger_budget_replaces_old_pods_with_pods_that_never_become_ready() -> None:
    # maxUnavailable 2: one more old Pod goes; its replacement (revision bbb) never becomes
    # available, and the update stops there
    plan = daemonset_live_plan(_half_way(unavailable=2))
    assert [(s.new, s.old) for s in plan.steps] == [(2, 1), (3, 1)]
    assert plan.progress == "stuck"
    assert plan.ready_at_end == 2  # agent-a and the last old Pod


def test_assume_ready_completes_the_update() -> None:
    plan = daemonset_live_plan(_half_way(), assume_ready=True)
    assert [(s.new, s.old, s.available) for s in plan.steps] == [
        (2, 1, 3),
        (3, 1, 3),
        (3, 0, 3),
        (4, 0, 3),
    ]
    assert plan.progress == "complete" and plan.stuck_reason is None
    assert plan.ready_at_end == 4
    assert any("planned as if ready (--assume-ready)" in n for n in plan.notes)


def test_a_revert_reuses_the_old_controller_revision_and_replaces_the_broken_pod_first() -> None:
    new = daemonset("agent:1.0")
    new["spec"]["template"] = manifest_template("agent:1.0", {"app": "agent"})
    plan = daemonset_live_plan(_half_way(), new)
    assert plan.change == "rollout"
    # agent-b (old now, not available) is an allowed replacement, outside the budget; agent-a
    # follows once the new Pod on node-b is available
    assert [(s.new, s.old, s.available) for s in plan.steps] == [
        (2, 1, 3),
        (3, 1, 3),
        (3, 0, 3),
        (4, 0, 3),
    ]
    assert plan.progress == "complete"
    # constructHistory: the reused revision gets max + 1
    assert plan.revision == 3
    assert [(h.revision, h.replica_set, h.replicas) for h in plan.history] == [
        (2, "agent-bbb", 0),
        (3, "agent-aaa", 4),
    ]
    assert any("reuses it as the update revision" in n for n in plan.notes)


def test_a_new_template_makes_a_new_revision_and_the_unready_pod_is_replaced() -> None:
    new = daemonset("agent:3.0")
    new["spec"]["template"] = manifest_template("agent:3.0", {"app": "agent"})
    plan = daemonset_live_plan(_half_way(), new)
    assert plan.start is not None and plan.start.new == 0 and plan.start.old == 4
    assert plan.progress == "complete" and plan.revision == 3
    assert plan.history[-1].replica_set is None and plan.history[-1].replicas == 4


def test_surge_with_a_broken_revision_keeps_the_old_pods() -> None:
    live = _half_way(surge=1, unavailable=0)
    plan = daemonset_live_plan(live)
    # the surge branch counts against maxSurge only a node with both Pods: node-b (new Pod
    # only) does not, so a new Pod starts beside node-c's old one, never becomes available,
    # takes maxSurge 1, and no more start
    assert [(s.new, s.old, s.available) for s in plan.steps] == [(3, 2, 3)]
    assert plan.progress == "stuck"
    assert plan.stuck_reason is not None and "maxSurge 1" in plan.stuck_reason
    assert plan.strategy.max_surge == 1 and plan.bounds.max_pods == 5


def test_surge_from_live_pods_completes_when_ready() -> None:
    plan = daemonset_live_plan(_half_way(surge=1, unavailable=0), assume_ready=True)
    # a new Pod beside node-c's old one; once it is available, the same sync deletes the old
    # one and (surge free again) starts node-d's
    assert [(s.new, s.old) for s in plan.steps] == [(3, 2), (4, 1), (4, 0)]
    assert plan.progress == "complete"


def test_nodes_from_the_nodes_option_and_the_pods() -> None:
    live = _half_way(broken=False)
    nodes = [_node("node-a"), _node("node-c"), _node("node-e")]
    plan = daemonset_live_plan(live, context=PlanContext(nodes=nodes))
    # node-e runs no Pod yet: manage creates one; node-b and node-d (live Pods, not in
    # --nodes) are taken as running the daemon
    assert plan.replicas == 5
    assert plan.steps[0].new == 3
    assert plan.progress == "complete"
    assert [n.name for n in plan.nodes] == ["node-a", "node-c", "node-e"]
    assert any("node-b, node-d" in n and "not in --nodes" in n for n in plan.notes)


def test_a_node_the_new_template_does_not_fit_loses_its_pod() -> None:
    live = _half_way(broken=False)
    new = daemonset("agent:2.0")
    new["spec"]["template"] = manifest_template("agent:2.0", {"app": "agent"})
    new["spec"]["template"]["spec"]["nodeSelector"] = {"pool": "edge"}
    nodes = [_node(n, {"pool": "edge"}) for n in ("node-a", "node-b", "node-c")]
    nodes.append(_node("node-d", {"pool": "core"}))
    plan = daemonset_live_plan(live, new, context=PlanContext(nodes=nodes))
    assert plan.replicas == 3
    assert plan.nodes[-1].runs is False
    assert (plan.steps[-1].new, plan.steps[-1].old) == (3, 0)


def test_pending_pod_node_from_the_controller_node_affinity() -> None:
    pending = daemon_pod("agent-e", "node-e", "bbb", ready=False)
    del pending["spec"]["nodeName"]
    pending["spec"]["affinity"] = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {
                        "matchFields": [
                            {"key": "metadata.name", "operator": "In", "values": ["node-e"]}
                        ]
                    }
                ]
            }
        }
    }
    live = _live(
        daemonset("agent:2.0"),
        revision("bbb", 1, "agent:2.0"),
        daemon_pod("agent-a", "node-a", "bbb"),
        pending,
    )
    plan = daemonset_live_plan(live)
    assert isinstance(plan.start, DaemonSetStart)
    assert [p.node for p in plan.start.pods] == ["node-a", "node-e"]
    assert plan.progress == "stuck" and plan.stuck_reason is not None
    assert "agent-e" in plan.stuck_reason


def test_revision_hash_from_the_name_when_the_label_is_missing() -> None:
    live = _live(
        daemonset("agent:2.0"),
        revision("aaa", 1, "agent:1.0", label=False),
        revision("bbb", 2, "agent:2.0", label=False),
        daemon_pod("agent-a", "node-a", "bbb"),
        daemon_pod("agent-c", "node-c", "aaa"),
    )
    plan = daemonset_live_plan(live)
    assert plan.start is not None and (plan.start.new, plan.start.old) == (1, 1)
    assert plan.progress == "complete" and plan.revision == 2


def test_nothing_left_to_do() -> None:
    live = _live(
        daemonset("agent:2.0"),
        revision("bbb", 2, "agent:2.0"),
        daemon_pod("agent-a", "node-a", "bbb"),
    )
    plan = daemonset_live_plan(live)
    assert plan.steps == () and plan.progress == "complete"
    assert any("nothing left to do" in n for n in plan.notes)


def test_json_summary_counts_stuck_plans() -> None:
    stuck = daemonset_live_plan(_half_way())
    done = daemonset_live_plan(_half_way(), assume_ready=True)
    summary = plan_document([stuck, done, stuck])["summary"]
    assert summary == {"workloads": 3, "rejected": 0, "stalled": 0, "stuck": 2}
