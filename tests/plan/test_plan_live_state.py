"""Reading the live state: owners by controller reference (uid first), revisions, readiness,
and the warnings for what cannot be placed."""

from __future__ import annotations

from kpolicy.plan.live import live_state

from .live_support import (
    controller_revision,
    live_deployment,
    live_statefulset,
    pod,
    replica_set,
    stateful_pod,
)


def test_replica_sets_and_pods_find_their_owners() -> None:
    state = live_state(
        [
            live_deployment(),
            replica_set("web", "b", 2, "nginx:2", 1, created="2026-01-02T00:00:00Z"),
            replica_set("web", "a", 1, "nginx:1", 2, 1, change_cause="first"),
            pod("web-a-1", "ReplicaSet", "web-a", ready=False),
        ]
    )
    assert state.warnings == ()
    web = state.get("Deployment", "default", "web")
    assert web is not None
    # ReplicaSetsByRevision: oldest revision first
    assert [(rs.name, rs.revision) for rs in web.replica_sets] == [("web-a", 1), ("web-b", 2)]
    first = web.replica_sets[0]
    assert (first.replicas, first.available, first.unavailable) == (2, 1, 1)
    assert first.change_cause == "first" and first.images == ("nginx:1",)
    assert [(p.name, p.ready, p.reason) for p in first.pods] == [
        ("web-a-1", False, "ImagePullBackOff")
    ]


def test_an_owner_of_another_uid_is_not_the_owner() -> None:
    # a ReplicaSet left by an earlier Deployment of the same name (deleted and created again)
    stale = replica_set("web", "old", 1, "nginx:1", 1)
    stale["metadata"]["ownerReferences"][0]["uid"] = "uid-of-an-earlier-web"
    state = live_state([live_deployment(), stale])
    web = state.get("Deployment", "default", "web")
    assert web is not None and web.replica_sets == ()
    assert state.warnings == (
        "live ReplicaSet default/web-old: its controller Deployment default/web is not in the "
        "live state; it is left out",
    )


def test_statefulset_pods_ordinals_revisions_and_readiness() -> None:
    state = live_state(
        [
            live_statefulset(current="web-aaa", update="web-bbb"),
            controller_revision("web", "bbb", 2, "nginx:2"),
            controller_revision("web", "aaa", 1, "nginx:1"),
            stateful_pod("web", 10, "web-aaa"),
            stateful_pod("web", 2, "web-bbb", ready=False),
        ]
    )
    web = state.get("StatefulSet", "default", "web")
    assert web is not None
    assert [(p.name, p.ordinal, p.revision_hash, p.ready) for p in web.pods] == [
        ("web-2", 2, "web-bbb", False),
        ("web-10", 10, "web-aaa", True),
    ]
    assert [(r.name, r.revision) for r in web.revisions] == [("web-aaa", 1), ("web-bbb", 2)]


def test_a_workload_without_status_is_a_warning() -> None:
    state = live_state([live_deployment(status=False)])
    assert state.warnings == (
        "live Deployment default/web has no status: planned from the objects it controls",
    )
    assert state.get("Deployment", "default", "web") is not None
