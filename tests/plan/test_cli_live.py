"""`kpolicy plan --live` as a user runs it, on the hand-written dump in examples-live/: each
case of the issue (proportional scaling of a stuck rollout, rollover, scaling while paused,
undo to a revision, a stuck StatefulSet after a revert, a canary Service), the warnings on
incomplete dumps, and the usage errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

from .test_cli_plan import plan_json, run

LIVE = "examples-live/cluster.yaml"
CHANGE = "examples-live/change"


def _by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {w["object"]["name"]: w for w in doc["workloads"]}


@pytest.fixture(scope="module")
def changed() -> dict[str, Any]:
    return plan_json(CHANGE, "--live", LIVE)


def test_the_changes_planned_from_the_live_state(changed: dict[str, Any]) -> None:
    assert changed["live"] == [LIVE]
    plans = _by_name(changed)
    api = plans["api"]
    # the documentation's example: 8 old + 5 new, scaled to 15 -> 11 and 7, still stuck
    assert api["start"] == {"new": 5, "old": [8]}
    assert api["steps"] == [{"new": 7, "old": [11]}]
    assert api["progress"] == "stuck"
    assert "ImagePullBackOff" in api["stuckReason"]
    # rollover: the half-done 1.27 ReplicaSet becomes old at once
    frontend = plans["frontend"]
    assert frontend["start"] == {"new": 0, "old": [0, 8, 5]}
    assert frontend["steps"][0] == {"new": 0, "old": [0, 3, 5]}
    assert frontend["progress"] == "complete" and frontend["revision"] == 4
    # paused: proportional scaling only, 8 * 23 / 13 -> 14 and 5 * 23 / 13 -> 9
    worker = plans["worker"]
    assert worker["steps"] == [{"new": 0, "old": [14, 9]}]
    assert worker["progress"] == "paused"
    # the StatefulSet revert is not enough: db-2 must be deleted by hand
    db = plans["db"]
    assert db["progress"] == "stuck"
    assert any("kubectl delete pod db-2 -n shop" in note for note in db["notes"])
    # live workloads without a new version are planned as they stand
    assert plans["web"]["change"] == "none" and plans["web"]["progress"] == "complete"


def test_canary_traffic_shares(changed: dict[str, Any]) -> None:
    shop = next(s for s in changed["services"] if s["object"]["name"] == "shop")
    start = {b["object"]["name"]: (b["ready"], b["share"]) for b in shop["backends"]}
    assert start == {"shop-canary": (1, 0.1), "shop-stable": (9, 0.9)}
    end = {b["object"]["name"]: (b["ready"], b["share"]) for b in shop["steps"][-1]}
    assert end == {"shop-canary": (3, 0.25), "shop-stable": (9, 0.75)}


def test_text_shows_progress_history_and_traffic() -> None:
    out = run(CHANGE, "--live", LIVE)
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    text = out.stdout
    assert text.startswith("kpolicy plan: 8 workloads (2 stuck)")
    assert "progress  STUCK at revision 2: revision 2 (api-7f8d9c6b5) has 5 unavailable" in text
    assert "live Pods  db-0 db-5d6c7b8f9 ready, db-1 db-5d6c7b8f9 ready, db-2" in text
    assert "4  (new)  registry.example.com/frontend:1.28  10 Pods" in text
    assert "Service shop: shop-canary 1 Pod 10%, shop-stable 9 Pods 90% at the start" in text
    assert "shop-canary 3 Pods 25%, shop-stable 9 Pods 75%" in text


@pytest.mark.parametrize("fmt", ["markdown", "svg"])
def test_markdown_and_svg_carry_the_live_facts(fmt: str) -> None:
    out = run(CHANGE, "--live", LIVE, "-f", fmt)
    assert out.returncode == 0, out.stderr
    assert "stuck" in out.stdout.lower()
    assert "shop-canary 3 Pods 25%" in out.stdout


def test_undo_to_an_explicit_revision() -> None:
    doc = plan_json("--live", LIVE, "--undo", "deployment/web", "--to-revision", "1", "-n", "shop")
    (web,) = doc["workloads"]
    assert web["rollbackTo"] == {"revision": 1, "replicaSet": "web-58b6c9d7f", "newRevision": 4}
    assert web["steps"][0] == {"new": 1, "old": [0, 4]}
    assert web["steps"][-1] == {"new": 4, "old": [0, 0]}
    assert [h["revision"] for h in web["history"]] == [2, 3, 4]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--undo", "deployment/web", "--to-revision", "7", "-n", "shop"),
            "unable to find specified revision 7 in history (known revisions of "
            "deployment/web: 1, 2, 3)",
        ),
        (("--undo", "deployment/worker", "-n", "shop"), "cannot rollback a paused deployment"),
        (("--undo", "deployment/web"), "deployment default/web is not in the live state"),
        (("--undo", "statefulset/db", "-n", "shop"), "give deployment/NAME"),
    ],
)
def test_undo_errors(args: tuple[str, ...], message: str) -> None:
    out = run("--live", LIVE, *args)
    assert out.returncode == 2
    assert message in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--undo", "deployment/web"), "--undo plans from the live state: give --live"),
        (("--live", LIVE, "--from", "examples"), "give no --from or --base"),
        (("--live", LIVE, "--to-revision", "1"), "--to-revision goes with --undo"),
        (("examples", "--assume-ready"), "--assume-ready goes with --live"),
        (("examples", "--live", LIVE, "--undo", "deployment/web"), "give no PATH"),
    ],
)
def test_usage_errors(args: tuple[str, ...], message: str) -> None:
    out = run(*args)
    assert out.returncode == 2
    assert message in out.stderr


def test_incomplete_dump_warns_and_plans_the_rest(tmp_path: Path) -> None:
    dump = (ROOT / LIVE).read_text(encoding="utf-8")
    # a ReplicaSet whose Deployment is missing, and a Deployment without status
    extra = """
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: orphan-abc
  namespace: shop
  ownerReferences:
  - apiVersion: apps/v1
    kind: Deployment
    name: orphan
    uid: 00000000-0000-0000-0000-000000000001
    controller: true
spec:
  replicas: 1
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: bare
  namespace: shop
spec:
  replicas: 2
  selector: {matchLabels: {app: bare}}
  template:
    metadata: {labels: {app: bare}}
    spec: {containers: [{name: app, image: bare:1}]}
"""
    (tmp_path / "state.yaml").write_text(dump + extra, encoding="utf-8")
    out = run("--live", str(tmp_path / "state.yaml"), "-f", "json")
    assert out.returncode == 0
    warnings = out.stderr.splitlines()
    assert any(
        "live ReplicaSet shop/orphan-abc: its controller Deployment shop/orphan is not in the "
        "live state" in w
        for w in warnings
    )
    assert any(
        "live Deployment shop/bare has no status: planned from the objects it controls" in w
        for w in warnings
    )
    doc = json.loads(out.stdout)
    names = {w["object"]["name"] for w in doc["workloads"]}
    assert {"api", "bare", "db"} <= names


def test_assume_ready_unsticks_the_documentation_example() -> None:
    doc = plan_json("--live", LIVE, "--assume-ready")
    api = _by_name(doc)["api"]
    assert api["progress"] == "complete"
    assert api["steps"][-1] == {"new": 10, "old": [0]}


def test_daemonset_from_the_live_state() -> None:
    doc = plan_json("--live", LIVE)
    agent = _by_name(doc)["node-agent"]
    assert agent["object"]["kind"] == "DaemonSet"
    assert agent["start"]["new"] == 2 and agent["start"]["old"] == 2
    assert {p["node"]: p["ready"] for p in agent["start"]["pods"]} == {
        "node-a": True,
        "node-b": False,
        "node-c": True,
        "node-d": True,
    }
    # the crash-looping 1.9 Pod on node-b takes maxUnavailable 1: nothing more happens
    assert agent["steps"] == [] and agent["progress"] == "stuck"
    assert "node-agent-9fz7q (CrashLoopBackOff) on node-b" in agent["stuckReason"]
    stuck = sum(1 for w in doc["workloads"] if w.get("progress") == "stuck")
    assert doc["summary"]["stuck"] == stuck >= 2


def test_daemonset_revert_from_the_live_state(changed: dict[str, Any]) -> None:
    agent = _by_name(changed)["node-agent"]
    assert agent["change"] == "rollout"
    # the broken Pod goes first (outside the budget), then one node at a time
    assert agent["steps"] == [
        {"new": 2, "old": 1},
        {"new": 3, "old": 1},
        {"new": 3, "old": 0},
        {"new": 4, "old": 0},
    ]
    assert agent["progress"] == "complete" and agent["revision"] == 3
    assert changed["summary"]["stuck"] == sum(
        1 for w in changed["workloads"] if w.get("progress") == "stuck"
    )


def test_daemonset_assume_ready_and_text() -> None:
    doc = plan_json("--live", LIVE, "--assume-ready")
    assert _by_name(doc)["node-agent"]["progress"] == "complete"
    out = run("--live", LIVE)
    assert out.returncode == 0, out.stderr
    assert "node-agent-9fz7q on node-b 7d4b9c6f8 NOT" in out.stdout
    assert "not planned from the live state yet" not in out.stderr
