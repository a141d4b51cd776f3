"""`kpolicy plan` and `kpolicy lint` agree: a workload the API server rejects (a finding of
error severity of a rule whose findings are rejections) is planned with ``rejected`` and no
steps, and a DaemonSet surge that a host port holds back stalls where it stops."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import cli

from .test_cli_plan import DEPLOYMENT, STATEFULSET, plan_json, run, workload

MISMATCHED = DEPLOYMENT.replace("      labels: {app: web}\n", "      labels: {app: api}\n")
NO_IMAGE = STATEFULSET.replace("          image: nginx:1.27\n", "")
HOST_PORT_DAEMONSET = """\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: exporter
spec:
  selector:
    matchLabels: {app: exporter}
  updateStrategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  template:
    metadata:
      labels: {app: exporter}
    spec:
      containers:
        - name: exporter
          image: exporter:2
          ports:
            - containerPort: 9100
              hostPort: 9100
"""


def test_rejected_deployment_has_lints_reason_and_no_steps(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(MISMATCHED)
    doc = plan_json("web.yaml", cwd=tmp_path)
    assert doc["summary"] == {"workloads": 1, "rejected": 1, "stalled": 0, "stuck": 0}
    web = workload(doc, "Deployment", "web")
    assert web["steps"] == [] and web["stalled"] is None
    assert web["rejections"] == [
        {
            "rule": "selector-mismatch",
            "message": "selector app=web does not match template labels app=api; the API server "
            "rejects this",
            "file": "web.yaml",
            "line": 7,
            "column": 3,
        }
    ]
    assert web["rejected"] == (
        "selector app=web does not match template labels app=api; the "
        "API server rejects this [selector-mismatch at web.yaml:7:3]"
    )
    # lint says the same, at the same place
    lint = run_lint("web.yaml", cwd=tmp_path)
    assert "web.yaml:7:3: error[selector-mismatch]" in lint


def run_lint(*args: str, cwd: Path) -> str:
    return cli("lint", "--no-cache", *args, cwd=cwd).stdout


def test_rejected_in_text_markdown_and_svg(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(MISMATCHED)
    text = run("web.yaml", cwd=tmp_path).stdout
    assert text.startswith("kpolicy plan: 1 workload (1 rejected by the API server);")
    assert "  REJECTED  selector app=web does not match template labels app=api" in text
    assert "change    rollout, but the API server rejects the Deployment: nothing changes" in text
    assert "  step   new" not in text  # no table
    markdown = run("web.yaml", "--format", "markdown", cwd=tmp_path).stdout
    assert "## kpolicy plan: 1 workload (1 rejected by the API server)" in markdown
    assert "| **rejected** (rollout) |" in markdown
    assert "> **Rejected by the API server:** selector app=web" in markdown
    svg = run("web.yaml", "--format", "svg", cwd=tmp_path).stdout
    assert "Deployment default/web: rollout (rejected by the API server)" in svg
    assert "No steps: the API server rejects the Deployment as written" in svg
    assert ">Rejected: selector app=web does not match template labels app=api" in svg


def test_statefulset_template_rejection_depends_on_the_version(tmp_path: Path) -> None:
    # before 1.34 the API server accepts the StatefulSet and rejects its Pods: lint says so,
    # and the plan plans the StatefulSet; from 1.34 the StatefulSet itself is rejected
    (tmp_path / "db.yaml").write_text(NO_IMAGE)
    before = workload(
        plan_json("db.yaml", "--kubernetes-version", "1.33", cwd=tmp_path), "StatefulSet", "web"
    )
    assert before["rejected"] is None and before["steps"]
    after = workload(
        plan_json("db.yaml", "--kubernetes-version", "1.34", cwd=tmp_path), "StatefulSet", "web"
    )
    assert after["steps"] == [] and [r["rule"] for r in after["rejections"]] == ["pod-spec-invalid"]


def test_suppressed_or_downgraded_findings_do_not_reject(tmp_path: Path) -> None:
    suppressed = MISMATCHED.replace(
        "  selector:\n", "  selector:  # kpolicy: ignore[selector-mismatch]\n"
    )
    (tmp_path / "web.yaml").write_text(suppressed)
    assert workload(plan_json("web.yaml", cwd=tmp_path), "Deployment", "web")["rejected"] is None
    (tmp_path / "web.yaml").write_text(MISMATCHED)
    (tmp_path / ".kpolicy.yaml").write_text("rules:\n  selector-mismatch: warning\n")
    web = workload(plan_json("web.yaml", cwd=tmp_path), "Deployment", "web")
    assert web["rejected"] is None and web["steps"]


def test_a_warning_does_not_reject(tmp_path: Path) -> None:
    # rollout-takes-all-down is a warning: the rollout is planned
    risky = DEPLOYMENT.replace(
        "  replicas: 10\n",
        "  replicas: 10\n  strategy:\n    rollingUpdate: {maxUnavailable: '100%'}\n",
    )
    (tmp_path / "web.yaml").write_text(risky)
    assert "warning[rollout-takes-all-down]" in run_lint("web.yaml", cwd=tmp_path)
    web = workload(plan_json("web.yaml", cwd=tmp_path), "Deployment", "web")
    assert web["rejected"] is None and web["steps"]


def test_duplicate_key_rejects_through_strict_decoding(tmp_path: Path) -> None:
    duplicated = DEPLOYMENT.replace("  replicas: 10\n", "  replicas: 10\n  replicas: 4\n")
    (tmp_path / "web.yaml").write_text(duplicated)
    web = workload(plan_json("web.yaml", cwd=tmp_path), "Deployment", "web")
    assert [(r["rule"], r["line"]) for r in web["rejections"]] == [("yaml-duplicate-key", 7)]


def test_only_the_rejected_workload_of_a_file_is_rejected(tmp_path: Path) -> None:
    other = DEPLOYMENT.replace("name: web\n", "name: api\n", 1)
    (tmp_path / "all.yaml").write_text(other + "---\n" + MISMATCHED)
    doc = plan_json("all.yaml", cwd=tmp_path)
    assert workload(doc, "Deployment", "api")["rejected"] is None
    assert workload(doc, "Deployment", "web")["rejections"][0]["line"] == 23


def test_diff_mode_rejects_the_new_version(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    (tmp_path / "old" / "web.yaml").write_text(DEPLOYMENT)
    (tmp_path / "new" / "web.yaml").write_text(MISMATCHED.replace("nginx:1.27", "nginx:1.28"))
    (tmp_path / "new" / "api.yaml").write_text(MISMATCHED.replace("name: web\n", "name: api\n", 1))
    doc = plan_json("new", "--from", "old", cwd=tmp_path)
    web = workload(doc, "Deployment", "web")
    assert web["change"] == "rollout" and web["steps"] == [] and web["rejections"]
    api = workload(doc, "Deployment", "api")
    assert api["change"] == "create" and api["steps"] == [] and api["rejections"]
    text = run("new", "--from", "old", cwd=tmp_path).stdout
    assert "create, but the API server rejects the Deployment: nothing is created" in text


def test_daemonset_surge_with_host_port_stalls_in_every_format(tmp_path: Path) -> None:
    (tmp_path / "ds.yaml").write_text(HOST_PORT_DAEMONSET)
    assert "error[daemonset-surge-with-host-port]" in run_lint("ds.yaml", cwd=tmp_path)
    doc = plan_json("ds.yaml", cwd=tmp_path)
    assert doc["summary"] == {"workloads": 1, "rejected": 0, "stalled": 1, "stuck": 0}
    ds = workload(doc, "DaemonSet", "exporter")
    assert ds["steps"] == [{"new": 1, "old": 3}] and ds["stalled"]["after"] == 1
    text = run("ds.yaml", cwd=tmp_path).stdout
    assert text.startswith("kpolicy plan: 1 workload (1 stalls);")
    assert "  1        1    3      4          3  <- stalls here\n" in text
    assert "  ! the rollout stalls after step 1: maxSurge 1 starts a new Pod beside" in text
    markdown = run("ds.yaml", "--format", "markdown", cwd=tmp_path).stdout
    assert "| 1 **(stalls)** | 1 | 3 | 4 | 3 |" in markdown
    assert "| rollout, **stalls** after step 1 |" in markdown
    svg = run("ds.yaml", "--format", "svg", cwd=tmp_path).stdout
    assert "DaemonSet default/exporter: rollout (stalls after step 1)" in svg
    assert ">stalls</text>" in svg
    assert ">! the rollout stalls after step 1: maxSurge 1" in svg


def test_svg_shows_the_notes(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(DEPLOYMENT)
    doc = plan_json("web.yaml", cwd=tmp_path)
    notes = workload(doc, "Deployment", "web")["notes"]
    assert notes
    svg = run("web.yaml", "--format", "svg", cwd=tmp_path).stdout
    for note in notes:
        assert f">• {note[:60]}" in svg
    json.loads(json.dumps(doc))


def test_a_kustomize_patch_is_neither_planned_nor_rejected(tmp_path: Path) -> None:
    # lint judges a patch as the fragment it is (no selector of its own is no finding), and
    # the plan agrees: the patch is not a workload of its own
    (tmp_path / "web.yaml").write_text(DEPLOYMENT)
    (tmp_path / "patch.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n"
    )
    (tmp_path / "kustomization.yaml").write_text(
        "resources: [web.yaml]\npatches:\n  - path: patch.yaml\n"
    )
    assert "selector-missing" not in run_lint(".", cwd=tmp_path)
    doc = plan_json(".", cwd=tmp_path)
    assert doc["summary"] == {"workloads": 1, "rejected": 0, "stalled": 0, "stuck": 0}
    assert workload(doc, "Deployment", "web")["replicas"] == 10
