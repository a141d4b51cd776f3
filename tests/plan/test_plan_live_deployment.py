"""Deployments planned from the live state: the documentation's proportional-scaling example,
rollover, paused Deployments, stuck rollouts, ``kubectl rollout undo`` and cleanupDeployment.

Expectations are worked out by hand from the controller's functions (sync.go ``scale``,
``getReplicaSetFraction``; rolling.go; kubectl's rollback.go; ``cleanupDeployment``)."""

from __future__ import annotations

from typing import Any

import pytest

from kpolicy.plan.deployment_live import (
    UndoError,
    cleanup_deployment,
    deployment_live_plan,
    find_new_replica_set,
)
from kpolicy.plan.live import LiveWorkload, live_state, template_matches

from .live_support import (
    live_deployment,
    manifest_template,
    pod,
    replica_set,
    template,
)
from .support import check


def _live(*objects: dict[str, Any]) -> LiveWorkload:
    state = live_state(objects)
    assert state.warnings == ()
    workload = state.get("Deployment", "default", "web")
    assert workload is not None
    return workload


def _broken_pods(rs_hash: str, count: int) -> list[dict[str, Any]]:
    return [
        pod(
            f"web-{rs_hash}-{i}",
            "ReplicaSet",
            f"web-{rs_hash}",
            ready=False,
            labels={"app": "web", "pod-template-hash": rs_hash},
        )
        for i in range(count)
    ]


def _docs_example(replicas: int) -> LiveWorkload:
    # 10 replicas, maxSurge 3, maxUnavailable 2: stuck with 8 old and 5 new Pods because the
    # new image cannot be pulled; the Deployment now asks for ``replicas``
    return _live(
        live_deployment(replicas=replicas, image="nginx:sometag"),
        replica_set("web", "old1", 1, "nginx:1.25", 8, desired=10, max_replicas=13),
        replica_set(
            "web",
            "new2",
            2,
            "nginx:sometag",
            5,
            0,
            desired=10,
            max_replicas=13,
            created="2026-01-02T00:00:00Z",
        ),
        *_broken_pods("new2", 5),
    )


def test_docs_example_scaled_to_15_gives_11_and_7_and_stays_stuck() -> None:
    plan = deployment_live_plan(_docs_example(15))
    out = check(plan)
    assert out["start"] == {"new": 5, "old": [8]}
    # proportional scaling: 8 * 18 / 13 = 11.08 -> 11 (+3), the leftover 2 to the new one
    assert out["steps"] == [{"new": 7, "old": [11]}]
    assert out["progress"] == "stuck"
    reason = out["stuckReason"]
    assert "revision 2 (web-new2) has 5 unavailable Pods (ImagePullBackOff): web-new2-0" in reason
    assert "7 new and 11 old Pods" in reason
    assert "no Pod may be created beyond 18" in reason
    assert any("ProgressDeadlineExceeded" in note for note in out["notes"])
    assert out["revision"] == 2


def test_docs_example_as_it_stands_is_stuck_at_its_bound() -> None:
    plan = deployment_live_plan(_docs_example(10))
    out = check(plan)
    # 13 Pods is replicas + maxSurge; no old Pod may go while 5 new ones are unavailable
    assert out["steps"] == []
    assert out["progress"] == "stuck"
    assert "5 new and 8 old Pods" in out["stuckReason"]


def test_assume_ready_finishes_the_rollout() -> None:
    plan = deployment_live_plan(_docs_example(10), assume_ready=True)
    out = check(plan)
    assert out["progress"] == "complete"
    assert out["stuckReason"] is None
    assert out["steps"][-1] == {"new": 10, "old": [0]}
    # the first sync: 13 Pods exist and the 5 new ones count as available now; at least 8
    # must stay available, so 13 - 8 = 5 old Pods go
    assert out["steps"][0] == {"new": 5, "old": [3]}


def test_rollover_makes_the_new_replica_set_old_at_once() -> None:
    # a rollout from 1.25 to 1.26 is half way (5 new, 8 old, all healthy); 1.27 is applied
    live = _live(
        live_deployment(replicas=10, image="nginx:1.26"),
        replica_set("web", "r1", 1, "nginx:1.25", 8, desired=10, max_replicas=13),
        replica_set(
            "web",
            "r2",
            2,
            "nginx:1.26",
            5,
            5,
            desired=10,
            max_replicas=13,
            created="2026-01-02T00:00:00Z",
        ),
    )
    new = live_deployment(replicas=10, image="nginx:1.27", status=False)
    new["spec"]["template"] = manifest_template("nginx:1.27")
    plan = deployment_live_plan(live, new)
    out = check(plan)
    assert out["change"] == "rollout"
    assert out["start"] == {"new": 0, "old": [8, 5]}
    # 13 Pods already: the new ReplicaSet starts at 0; both old ones scale down, oldest first
    # (scaleDownOldReplicaSetsForRollingUpdate), 13 available - 8 = 5 may go
    assert out["steps"][0] == {"new": 0, "old": [3, 5]}
    assert out["steps"][-1] == {"new": 10, "old": [0, 0]}
    assert out["progress"] == "complete"
    assert out["revision"] == 3
    assert any(note.startswith("rollover: web-r2 (revision 2)") for note in out["notes"])
    assert [h["revision"] for h in out["history"]] == [1, 2, 3]
    assert out["history"][-1]["replicaSet"] is None
    assert out["history"][-1]["images"] == ["nginx:1.27"]


def test_scale_while_paused_is_proportional_and_starts_no_rollout() -> None:
    live = _live(
        live_deployment(replicas=10, image="nginx:1.26", paused=True),
        replica_set("web", "r1", 1, "nginx:1.25", 6, desired=10, max_replicas=13),
        replica_set(
            "web",
            "r2",
            2,
            "nginx:1.26",
            4,
            desired=10,
            max_replicas=13,
            created="2026-01-02T00:00:00Z",
        ),
    )
    new = live_deployment(replicas=20, image="nginx:1.27", paused=True, status=False)
    new["spec"]["template"] = manifest_template("nginx:1.27")
    plan = deployment_live_plan(live, new)
    out = check(plan)
    assert out["change"] == "rollout+scale"
    assert out["progress"] == "paused"
    # 20 + 3 = 23 allowed, 10 exist, 13 to add: 6 * 23 / 13 = 10.6 -> 11 (+5),
    # 4 * 23 / 13 = 7.08 -> 7 (+3), the leftover 5 to the largest; no ReplicaSet for 1.27
    # while paused
    assert out["steps"] == [{"new": 0, "old": [16, 7]}]
    assert out["revision"] == 2


def test_undo_to_an_explicit_revision() -> None:
    live = _live(
        live_deployment(replicas=4, image="nginx:1.27", surge=1, unavailable=0, history_limit=1),
        replica_set("web", "r1", 1, "nginx:1.25", 0, change_cause="first"),
        replica_set("web", "r2", 2, "nginx:1.26", 0, created="2026-01-02T00:00:00Z"),
        replica_set("web", "r3", 3, "nginx:1.27", 4, created="2026-01-03T00:00:00Z"),
    )
    plan = deployment_live_plan(live, undo=True, to_revision=1)
    out = check(plan)
    assert out["rollbackTo"] == {"revision": 1, "replicaSet": "web-r1", "newRevision": 4}
    assert out["revision"] == 4
    assert out["start"] == {"new": 0, "old": [0, 4]}
    assert out["steps"][0] == {"new": 1, "old": [0, 4]}
    assert out["steps"][-1] == {"new": 4, "old": [0, 0]}
    assert out["progress"] == "complete"
    # two old ReplicaSets (revisions 2 and 3) and a limit of 1: revision 2 goes
    assert any("revisionHistoryLimit 1 then deletes web-r2 (revision 2)" in n for n in out["notes"])
    assert [(h["revision"], h["replicaSet"]) for h in out["history"]] == [
        (3, "web-r3"),
        (4, "web-r1"),
    ]
    assert out["history"][-1]["changeCause"] == "first"


def test_undo_without_revision_goes_to_the_previous_one() -> None:
    live = _live(
        live_deployment(replicas=2, image="nginx:1.26"),
        replica_set("web", "r1", 1, "nginx:1.25", 0),
        replica_set("web", "r2", 2, "nginx:1.26", 2, created="2026-01-02T00:00:00Z"),
    )
    plan = deployment_live_plan(live, undo=True)
    assert plan.rollback_to is not None and plan.rollback_to.revision == 1
    assert plan.revision == 3


def test_undo_to_an_unknown_revision_lists_the_known_ones() -> None:
    live = _live(
        live_deployment(replicas=2, image="nginx:1.26"),
        replica_set("web", "r1", 1, "nginx:1.25", 0),
        replica_set("web", "r2", 2, "nginx:1.26", 2, created="2026-01-02T00:00:00Z"),
    )
    with pytest.raises(UndoError, match=r"revision 7 in history .*: 1, 2\)"):
        deployment_live_plan(live, undo=True, to_revision=7)


def test_undo_of_a_paused_deployment_is_refused_as_kubectl_refuses() -> None:
    live = _live(
        live_deployment(replicas=2, image="nginx:1.26", paused=True),
        replica_set("web", "r1", 1, "nginx:1.25", 0),
        replica_set("web", "r2", 2, "nginx:1.26", 2, created="2026-01-02T00:00:00Z"),
    )
    with pytest.raises(UndoError, match="cannot rollback a paused deployment"):
        deployment_live_plan(live, undo=True)


def test_as_it_stands_when_complete_is_nothing_to_do() -> None:
    live = _live(
        live_deployment(replicas=3, image="nginx:1.26"),
        replica_set("web", "r1", 1, "nginx:1.25", 0),
        replica_set("web", "r2", 2, "nginx:1.26", 3, created="2026-01-02T00:00:00Z"),
    )
    out = check(deployment_live_plan(live))
    assert out["change"] == "none"
    assert out["steps"] == []
    assert out["progress"] == "complete"


def test_manifest_template_matches_the_defaulted_stored_one() -> None:
    assert template_matches(manifest_template("nginx:1.26"), template("nginx:1.26"))
    assert not template_matches(manifest_template("nginx:1.27"), template("nginx:1.26"))
    # labels are never defaulted: one more label is a different template
    assert not template_matches(
        manifest_template("nginx:1.26", {"app": "web"}),
        template("nginx:1.26", {"app": "web", "track": "canary"}),
    )
    stored = replica_set("web", "h1", 1, "nginx:1.26", 1)
    live = _live(live_deployment(replicas=1, image="nginx:1.26"), stored)
    found = find_new_replica_set(manifest_template("nginx:1.26"), live.replica_sets)
    assert found is not None and found.name == "web-h1"


# --- TestDeploymentController_cleanupDeployment (sync_test.go) -------------------------------


@pytest.mark.parametrize(
    ("sets", "limit", "deleted"),
    [
        ([(1, "foo-1", 0, 0), (2, "foo-2", 0, 0), (3, "foo-3", 0, 0)], 1, ("foo-1", "foo-2")),
        # only a ReplicaSet with spec.replicas = status.replicas = 0 is deleted
        (
            [(1, "foo-1", 0, 0), (2, "foo-2", 0, 1), (3, "foo-3", 1, 0), (4, "foo-4", 1, 1)],
            0,
            ("foo-1",),
        ),
        ([(1, "foo-1", 0, 0), (2, "foo-2", 0, 0)], 0, ("foo-1", "foo-2")),
        ([(1, "foo-1", 1, 1), (2, "foo-2", 1, 1)], 0, ()),
        ([(1, "foo-1", 0, 0), (2, "foo-2", 0, 0)], 2**31 - 1, ()),
    ],
)
def test_cleanup_deployment(
    sets: list[tuple[int, str, int, int]], limit: int, deleted: tuple[str, ...]
) -> None:
    assert cleanup_deployment(sets, limit) == deleted
