"""StatefulSets planned from the live state: a broken Pod under OrderedReady (stuck, with the
forced-rollback note), the revert, Parallel, a partition, and truncateHistory."""

from __future__ import annotations

from typing import Any

from kpolicy.plan import PlanContext
from kpolicy.plan.live import LiveWorkload, live_state
from kpolicy.plan.statefulset_live import statefulset_live_plan, truncate_history

from .live_support import (
    controller_revision,
    live_statefulset,
    manifest_template,
    stateful_pod,
)
from .support import check


def _live(*objects: dict[str, Any]) -> LiveWorkload:
    state = live_state(objects)
    assert state.warnings == ()
    workload = state.get("StatefulSet", "default", "web")
    assert workload is not None
    return workload


def _broken_rollout(policy: str = "OrderedReady") -> LiveWorkload:
    # a rollout from revision 1 (nginx:1.25) to revision 2 (nginx:broken): web-2 was updated
    # first and never becomes ready
    return _live(
        live_statefulset(image="nginx:broken", current="web-aaa", update="web-bbb", policy=policy),
        controller_revision("web", "aaa", 1, "nginx:1.25"),
        controller_revision("web", "bbb", 2, "nginx:broken"),
        stateful_pod("web", 0, "web-aaa"),
        stateful_pod("web", 1, "web-aaa"),
        stateful_pod("web", 2, "web-bbb", ready=False),
    )


def _revert() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": 3,
            "serviceName": "web",
            "selector": {"matchLabels": {"app": "web"}},
            "template": manifest_template("nginx:1.25", {"app": "web"}),
        },
    }


def test_ordered_ready_with_a_broken_pod_is_stuck_with_the_forced_rollback_note() -> None:
    out = check(statefulset_live_plan(_broken_rollout()))
    assert out["start"]["pods"] == [
        {"name": "web-0", "revision": "web-aaa", "ready": True},
        {"name": "web-1", "revision": "web-aaa", "ready": True},
        {"name": "web-2", "revision": "web-bbb", "ready": False},
    ]
    assert (out["start"]["new"], out["start"]["old"]) == (1, 2)
    assert out["steps"] == []
    assert out["progress"] == "stuck"
    assert out["stuckReason"].startswith("web-2 (CrashLoopBackOff) (revision web-bbb")
    assert "with OrderedReady the controller waits for it" in out["stuckReason"]
    assert any(
        "revert the template, then delete the broken Pods by hand "
        "(kubectl delete pod web-2 -n default)" in note
        for note in out["notes"]
    )


def test_reverting_the_template_is_not_enough() -> None:
    out = check(statefulset_live_plan(_broken_rollout(), _revert()))
    assert out["change"] == "rollout"
    # revision 1 is reused as the update revision: web-0 and web-1 are already at it
    assert (out["start"]["new"], out["start"]["old"]) == (2, 1)
    assert out["steps"] == []
    assert out["progress"] == "stuck"
    assert any(
        note.startswith("reverting the template is not enough: the controller never replaces web-2")
        for note in out["notes"]
    )
    assert out["revision"] == 3  # the reused revision gets the next number


def _parallel_revert() -> dict[str, Any]:
    manifest = _revert()
    manifest["spec"]["podManagementPolicy"] = "Parallel"
    return manifest


def test_parallel_without_max_unavailable_replaces_the_broken_pod_after_a_revert() -> None:
    # before MaxUnavailableStatefulSet (on by default from 1.35) the rolling update deletes
    # the highest Pod not at the update revision, healthy or not
    plan = statefulset_live_plan(
        _broken_rollout("Parallel"),
        _parallel_revert(),
        context=PlanContext(kubernetes_version="1.34"),
    )
    out = check(plan)
    assert out["steps"] == [{"delete": ["web-2"]}, {"create": ["web-2"]}]
    assert out["progress"] == "complete"
    assert out["updateOrder"] == ["web-2"]


def test_parallel_with_max_unavailable_counts_the_broken_pod_against_the_budget() -> None:
    # updateStatefulSetAfterInvariantEstablished: 1 unavailable Pod >= maxUnavailable 1, so
    # nothing is deleted, Parallel or not
    out = check(statefulset_live_plan(_broken_rollout("Parallel"), _parallel_revert()))
    assert out["steps"] == []
    assert out["progress"] == "stuck"
    assert "the rolling update waits for it" in out["stuckReason"]


def test_assume_ready_rolls_on() -> None:
    out = check(statefulset_live_plan(_broken_rollout(), assume_ready=True))
    assert out["steps"] == [
        {"delete": ["web-1"]},
        {"create": ["web-1"]},
        {"delete": ["web-0"]},
        {"create": ["web-0"]},
    ]
    assert out["progress"] == "complete"
    assert out["revision"] == 2


def test_partition_holds_the_lower_pods_back() -> None:
    live = _live(
        live_statefulset(image="nginx:1.26", current="web-aaa", update="web-bbb", partition=2),
        controller_revision("web", "aaa", 1, "nginx:1.25"),
        controller_revision("web", "bbb", 2, "nginx:1.26"),
        stateful_pod("web", 0, "web-aaa"),
        stateful_pod("web", 1, "web-aaa"),
        stateful_pod("web", 2, "web-bbb"),
    )
    out = check(statefulset_live_plan(live))
    assert out["steps"] == []
    assert out["progress"] == "complete"
    assert [(h["revision"], h["replicas"]) for h in out["history"]] == [(1, 2), (2, 1)]


def test_truncate_history_keeps_revisions_in_use() -> None:
    live = _live(
        live_statefulset(),
        controller_revision("web", "r1", 1, "a"),
        controller_revision("web", "r2", 2, "b"),
        controller_revision("web", "r3", 3, "c"),
        controller_revision("web", "r4", 4, "d"),
    )
    assert truncate_history(live.revisions, {"web-r4"}, 1) == ("web-r1", "web-r2")
    assert truncate_history(live.revisions, {"web-r4", "web-r1"}, 1) == ("web-r2",)
    assert truncate_history(live.revisions, set(), 10) == ()
