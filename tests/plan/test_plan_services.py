"""Traffic shares of a Service over the workloads whose Pods it selects (canary)."""

from __future__ import annotations

from typing import Any

from kpolicy.model import ObjectRef
from kpolicy.plan.services import BackendCandidate, service_shares


def _service(selector: dict[str, str] | None, name: str = "web") -> dict[str, Any]:
    spec: dict[str, Any] = {"ports": [{"port": 80}]}
    if selector is not None:
        spec["selector"] = selector
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec}


def _candidate(name: str, track: str, start: int, steps: tuple[int, ...]) -> BackendCandidate:
    return BackendCandidate(
        ObjectRef("apps/v1", "Deployment", "default", name),
        {"app": "web", "track": track},
        start,
        steps,
    )


STABLE = _candidate("web-stable", "stable", 9, ())
CANARY = _candidate("web-canary", "canary", 1, (1, 3))


def test_canary_share_at_the_start_and_after_each_step() -> None:
    (shares,) = service_shares([_service({"app": "web"})], [STABLE, CANARY])
    assert shares.describe() == "Service web: web-stable 9 Pods 90%, web-canary 1 Pod 10%"
    # the stable plan has no steps: it stays at 9 while the canary scales to 3
    assert [[(b.object.name, b.ready, b.share) for b in step] for step in shares.steps] == [
        [("web-stable", 9, 0.9), ("web-canary", 1, 0.1)],
        [("web-stable", 9, 0.75), ("web-canary", 3, 0.25)],
    ]


def test_a_service_selecting_one_track_sees_only_it() -> None:
    (shares,) = service_shares([_service({"track": "canary"}, "canary")], [STABLE, CANARY])
    assert [b.object.name for b in shares.backends] == ["web-canary"]
    assert shares.backends[0].share == 1.0


def test_services_without_selector_or_backends_are_left_out() -> None:
    assert service_shares([_service(None), _service({"app": "db"}, "db")], [STABLE]) == ()


def test_no_ready_pod_gives_zero_shares() -> None:
    broken = _candidate("web-canary", "canary", 0, ())
    (shares,) = service_shares([_service({"track": "canary"})], [broken])
    assert shares.backends[0].share == 0.0
