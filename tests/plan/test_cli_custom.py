"""`kpolicy plan` on the kinds outside Deployment, StatefulSet and DaemonSet: an Argo Rollout's
canary steps, a DeploymentConfig and a configured podTemplates: kind planned as a Deployment,
a CronJob's next runs, and what is not planned (hand-written fixtures in tests/plan/custom/)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.plan.test_cli_plan import has_note, plan_json, run, workload

HERE = Path(__file__).resolve().parent / "custom"
NOW = "2026-03-27T23:30:00Z"  # a Friday; Saturday 00:30 in Berlin, two days before CEST


def _one(items: list[dict[str, Any]], name: str) -> dict[str, Any]:
    found = [item for item in items if item["object"]["name"] == name]
    assert len(found) == 1, [item["object"] for item in items]
    return found[0]


@pytest.fixture(scope="module")
def kinds() -> dict[str, Any]:
    return plan_json("kinds.yaml", "--now", NOW, cwd=HERE)


def test_rollout_canary_steps(kinds: dict[str, Any]) -> None:
    rollout = _one(kinds["rollouts"], "web")
    assert rollout["replicas"] == 5 and rollout["trafficRouting"] is False
    assert [(s["action"], s["weight"], s["canary"], s["stable"]) for s in rollout["steps"]] == [
        ("setWeight 20", 20, 1, 4),
        ("pause (until promoted)", 20, 1, 4),
        ("setWeight 60", 60, 3, 2),
        ("pause 30s", 60, 3, 2),
        ("promoted", 100, 5, 0),
    ]


def test_deployment_config_planned_as_a_deployment(kinds: dict[str, Any]) -> None:
    plan = workload(kinds, "DeploymentConfig", "dc")
    # rollingParams.maxSurge 1 as written, maxUnavailable 25% of 4 by default
    assert plan["strategy"]["maxSurge"] == 1 and plan["strategy"]["maxUnavailable"] == 1
    assert plan["bounds"] == {"maxPods": 5, "minAvailable": 3}
    assert plan["steps"][-1] == {"new": 4, "old": [0]}
    assert has_note(plan, "planned as a Deployment with the DeploymentConfig's rollingParams")
    assert has_note(plan, "old ReplicationController of 4 Pods")
    assert kinds["summary"]["workloads"] == 1


def test_cronjob_next_runs_in_its_time_zone(kinds: dict[str, Any]) -> None:
    cron = _one(kinds["cronJobs"], "nightly")
    assert (cron["timeZone"], cron["timeZoneFrom"], cron["now"]) == (
        "Europe/Berlin",
        "timeZone",
        NOW,
    )
    # Monday to Friday at 09:00 in Berlin, after the change to summer time on 29 March
    assert cron["runs"] == [
        f"2026-{d}T09:00:00+02:00" for d in ("03-30", "03-31", "04-01", "04-02", "04-03")
    ]
    assert cron["suspended"] is False and cron["notes"] == []


def test_cronjob_without_time_zone_says_whose_clock(kinds: dict[str, Any]) -> None:
    cron = _one(kinds["cronJobs"], "local")
    assert (cron["timeZone"], cron["timeZoneFrom"]) == ("UTC", "assumed")
    assert cron["runs"][:2] == ["2026-03-28T00:00:00+00:00", "2026-03-29T00:00:00+00:00"]
    assert has_note(cron, "local time zone of kube-controller-manager")


def test_suspended_cronjob_has_no_runs(kinds: dict[str, Any]) -> None:
    cron = _one(kinds["cronJobs"], "paused")
    assert cron["suspended"] is True and cron["runs"] == []
    assert has_note(cron, "spec.suspend is true")


def test_not_planned_says_why(kinds: dict[str, Any]) -> None:
    reasons = {item["object"]["name"]: item["reason"] for item in kinds["notPlanned"]}
    assert set(reasons) == {"blue", "custom"}
    assert "blueGreen" in reasons["blue"]
    assert "custom deployer" in reasons["custom"]


def test_text_golden(update_golden: bool) -> None:
    out = run("kinds.yaml", "--now", NOW, cwd=HERE)
    assert out.returncode == 0, out.stderr
    golden = HERE / "kinds.txt"
    if update_golden or not golden.exists():
        golden.write_text(out.stdout, encoding="utf-8")
    assert out.stdout == golden.read_text(encoding="utf-8")
    assert out.stdout.startswith("kpolicy plan: 1 workload, 1 Rollout, 3 CronJobs, 2 not planned;")


def test_markdown_and_svg_show_the_same() -> None:
    markdown = run("kinds.yaml", "--now", NOW, "--format", "markdown", cwd=HERE).stdout
    assert "| 3 | setWeight 60 | 60% | 3 | 2 |" in markdown
    assert "- `Mon 2026-03-30T09:00:00+02:00`" in markdown
    assert "Suspended: no runs until spec.suspend is false." in markdown
    assert "### Not planned" in markdown and "custom deployer" in markdown
    svg = run("kinds.yaml", "--now", NOW, "--format", "svg", cwd=HERE).stdout
    texts = [t.text or "" for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert any("Mon 2026-03-30T09:00:00+02:00" in t for t in texts)
    assert any(t.strip().startswith("3     setWeight 60") for t in texts), texts
    assert any("custom deployer" in t for t in texts)


def test_plan_and_lint_agree_on_rejection() -> None:
    doc = plan_json("rejected.yaml", "--now", NOW, cwd=HERE)
    planned = {
        (r["rule"], r["line"])
        for item in (*doc["workloads"], *doc["rollouts"], *doc["cronJobs"])
        for r in item["rejections"]
    }
    cron = _one(doc["cronJobs"], "bad-schedule")
    assert cron["runs"] == [] and cron["rejected"].startswith("schedule '0 25 * * *'")
    assert _one(doc["rollouts"], "bad-rollout")["steps"] == []
    dc = workload(doc, "DeploymentConfig", "bad-pod")
    assert dc["steps"] == [] and dc["rejected"]
    lint = run_lint("rejected.yaml")
    linted = {(d["rule"], d["line"]) for d in lint if d["severity"] == "error"}
    assert planned == {
        ("cronjob-schedule-invalid", 6),
        ("restart-policy-invalid", 27),
        ("restart-policy-invalid", 44),
    }
    assert planned <= linted


def run_lint(*paths: str) -> list[dict[str, Any]]:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "kpolicy", "lint", *paths, "--format", "json"],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 1, out.stderr
    diagnostics: list[dict[str, Any]] = json.loads(out.stdout)["diagnostics"]
    return diagnostics


def test_configured_kind_planned_or_not() -> None:
    doc = plan_json(".", cwd=HERE / "configured")
    plan = workload(doc, "Worker", "w")
    assert plan["replicas"] == 4 and plan["strategy"]["maxSurge"] == 1
    assert has_note(plan, "configured pod-template kind")
    assert doc["notPlanned"] == [
        {
            "object": {
                "apiVersion": "example.com/v1",
                "kind": "Task",
                "namespace": None,
                "name": "t",
            },
            "reason": "the replica count's field is not configured",
        }
    ]


def test_configured_kind_change_names_its_own_fields(tmp_path: Path) -> None:
    source = HERE / "configured"
    (tmp_path / ".kpolicy.yaml").write_text(
        (source / ".kpolicy.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    old = (source / "workers.yaml").read_text(encoding="utf-8")
    (tmp_path / "old" / "w.yaml").write_text(old, encoding="utf-8")
    new = old.replace("nginx:1.27", "nginx:1.28").replace("size: 4", "size: 6")
    (tmp_path / "new" / "w.yaml").write_text(new, encoding="utf-8")
    text = run("new", "--from", "old", cwd=tmp_path).stdout
    assert "changed   /spec/size, /spec/podTemplate/spec/containers/0/image" in text
    assert "size      4 -> 6 replicas" in text


def test_deployment_config_change_and_recreate(tmp_path: Path) -> None:
    old = (HERE / "kinds.yaml").read_text(encoding="utf-8").split("---\n")[1]
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    (tmp_path / "old" / "dc.yaml").write_text(old, encoding="utf-8")
    new = old.replace("nginx:1.27", "nginx:1.28").replace(
        "type: Rolling\n    rollingParams: {maxSurge: 1}", "type: Recreate"
    )
    (tmp_path / "new" / "dc.yaml").write_text(new, encoding="utf-8")
    doc = plan_json("new", "--from", "old", cwd=tmp_path)
    plan = workload(doc, "DeploymentConfig", "dc")
    assert plan["change"] == "rollout" and plan["strategy"]["type"] == "Recreate"
    # Recreate: the old Pods go first, then the new ones come (rolloutRecreate)
    assert [(s["new"], s["old"]) for s in plan["steps"]] == [(0, [0]), (4, [0])]
    assert plan["notes"][1].startswith("changed: /spec/strategy/rollingParams, ")
    assert has_note(plan, "scales the old ReplicationController to 0, then the new one up")
    (tmp_path / "same").mkdir()
    (tmp_path / "same" / "dc.yaml").write_text(old, encoding="utf-8")
    unchanged = plan_json("same", "--from", "old", cwd=tmp_path)
    assert workload(unchanged, "DeploymentConfig", "dc")["change"] == "none"


@pytest.mark.parametrize("now", ["yesterday", "2026-13-01T00:00:00Z"])
def test_bad_now_is_a_usage_error(now: str) -> None:
    out = run("kinds.yaml", "--now", now, cwd=HERE)
    assert out.returncode == 2
    assert "is not an ISO 8601 date and time" in out.stderr and "Traceback" not in out.stderr


def test_now_with_an_offset_and_by_default() -> None:
    doc = plan_json("kinds.yaml", "--now", "2026-03-28T00:30:00+01:00", cwd=HERE)
    assert _one(doc["cronJobs"], "local")["now"] == NOW
    default = plan_json("kinds.yaml", cwd=HERE)
    from datetime import UTC, datetime

    first = datetime.fromisoformat(_one(default["cronJobs"], "local")["runs"][0])
    assert first > datetime.now(UTC)


def test_live_mode_still_plans_the_other_kinds(tmp_path: Path) -> None:
    # the live state covers Deployments and StatefulSets: the rest is planned from the files
    live = tmp_path / "live.yaml"
    live.write_text("apiVersion: v1\nkind: List\nitems: []\n", encoding="utf-8")
    doc = plan_json("kinds.yaml", "--live", str(live), "--now", NOW, cwd=HERE)
    assert _one(doc["cronJobs"], "nightly")["runs"][0] == "2026-03-30T09:00:00+02:00"
    assert _one(doc["rollouts"], "web")["steps"][-1]["canary"] == 5
    assert workload(doc, "DeploymentConfig", "dc")["replicas"] == 4
