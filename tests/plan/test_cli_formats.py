"""`kpolicy plan --format markdown|svg` and long plans in every format."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.plan.test_cli_plan import DEPLOYMENT, HEADLESS_SERVICE, NODES, STATEFULSET, run

SVG = "{http://www.w3.org/2000/svg}"


def test_markdown_summary_and_sections(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(DEPLOYMENT)
    (tmp_path / "sts.yaml").write_text(STATEFULSET + "---\n" + HEADLESS_SERVICE)
    out = run(".", "--format", "markdown", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert text.startswith("## kpolicy plan: 2 workloads\n")
    assert text.count("**Model of time:** one step is one controller sync") == 1
    assert "| workload | change | size | steps | bounds |" in text
    assert (
        "| Deployment `default/web` | rollout | 10 replicas | 5 | at most 13 Pods, at least "
        "8 available |" in text
    )
    assert "### Deployment `default/web`: rollout" in text
    assert "| step | new | old | total | available |" in text
    assert "| 1 | 3 | 8 | 11 | 8 |" in text
    assert "| 5 | 10 | 0 | 10 | 10 |" in text
    assert "- **Update order:** `web-2`, `web-1`, `web-0`" in text
    assert "| 1 | 0 | 2 | 2 | 2 | delete web-2 |" in text
    assert "<summary>DNS names (3)</summary>" in text
    assert "| `web-0` | `web-0` | `web-0.nginx.default.svc.cluster.local` |" in text
    assert text.count("<details>") == text.count("</details>")


def test_markdown_diff_rejected_and_down(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    (tmp_path / "old" / "app.yaml").write_text(STATEFULSET + "---\n" + DEPLOYMENT)
    all_down = DEPLOYMENT.replace(
        "  replicas: 10\n", "  replicas: 10\n  strategy:\n    type: Recreate\n"
    ).replace("1.27", "1.28")
    (tmp_path / "new" / "app.yaml").write_text(
        STATEFULSET.replace("serviceName: nginx", "serviceName: other") + "---\n" + all_down
    )
    out = run("new", "--from", "old", "--format", "markdown", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "compared with `--from old`" in out.stdout
    assert "| StatefulSet `default/web` | **rejected** (none) |" in out.stdout
    assert "> **Rejected by the API server:** spec.serviceName changed" in out.stdout
    # Recreate takes every Pod down: the step with nothing available stands out
    assert "| 1 | 0 | 0 | 0 | **0** |" in out.stdout
    assert (
        "- **Changed fields:** `/spec/strategy`, `/spec/template/spec/containers/0/image`"
        in out.stdout
    )


def test_markdown_escapes_table_cells(tmp_path: Path) -> None:
    nodes = NODES.replace("name: win-1", "name: 'win|1'")
    (tmp_path / "nodes.yaml").write_text(nodes)
    daemonset = """\
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      nodeSelector: {"kubernetes.io/os": "linux|<b>"}
      containers: [{name: a, image: a}]
"""
    (tmp_path / "ds.yaml").write_text(daemonset)
    out = run("ds.yaml", "--nodes", "nodes.yaml", "--format", "markdown", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    table = [line for line in out.stdout.splitlines() if line.startswith("| `")]
    assert table
    for line in table:
        assert len(re.findall(r"(?<!\\)\|", line)) == 4, line  # 3 columns, no stray pipes
    assert "<b>" not in out.stdout


def _svg(*args: str, cwd: Path) -> ET.Element:
    out = run(*args, "--format", "svg", cwd=cwd)
    assert out.returncode == 0, out.stderr
    assert "<script" not in out.stdout.lower()
    assert "href" not in out.stdout  # self-contained: no links to fonts, images or styles
    root = ET.fromstring(out.stdout)  # valid XML
    assert root.tag == f"{SVG}svg"
    return root


def _texts(root: ET.Element) -> list[str]:
    return ["".join(node.itertext()) for node in root.iter(f"{SVG}text")]


def _x_labels(root: ET.Element) -> list[str]:
    """The step labels under the plot (the y axis ticks are larger)."""
    return [
        "".join(node.itertext())
        for node in root.iter(f"{SVG}text")
        if node.get("font-size") == "10"
    ]


def test_svg_chart(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(DEPLOYMENT)
    root = _svg("web.yaml", cwd=tmp_path)
    texts = _texts(root)
    assert "Deployment default/web: rollout" in texts
    assert "maxPods 13" in texts and "minAvailable 8" in texts
    assert "step (one controller sync)" in texts and "Pods" in texts
    assert _x_labels(root) == ["start", "1", "2", "3", "4", "5"]
    assert any(t.startswith("Model of time: one step") for t in texts)
    titles = ["".join(node.itertext()) for node in root.iter(f"{SVG}title")]
    assert "after step 1: 3 new, 8 old, 11 in all, 8 available" in titles
    # bars: 6 old (start..4; step 5 has none) + 5 new (steps 1..5)
    fills = [rect.get("fill") for rect in root.iter(f"{SVG}rect")]
    assert fills.count("#a0aec0") == 5 + 1  # + the legend
    assert fills.count("#3182ce") == 5 + 1
    dashed = [line for line in root.iter(f"{SVG}line") if line.get("stroke-dasharray") == "6 4"]
    assert len(dashed) == 2
    # the maxPods line is above the minAvailable line
    max_line, min_line = dashed
    assert float(max_line.get("y1", "0")) < float(min_line.get("y1", "0"))
    assert len(list(root.iter(f"{SVG}polyline"))) == 1


def test_svg_without_steps_and_hostile_names(tmp_path: Path) -> None:
    hostile = STATEFULSET.replace("name: web\n", 'name: "w<e>b&\\u0001"\n', 1)
    hostile = hostile.replace(
        "  replicas: 3\n", "  replicas: 3\n  updateStrategy:\n    type: OnDelete\n"
    )
    (tmp_path / "sts.yaml").write_text(hostile)
    root = _svg("sts.yaml", cwd=tmp_path)
    texts = _texts(root)
    assert any(t.startswith("StatefulSet default/w<e>b&") for t in texts)
    # the name is one the API server rejects: no steps, and lint's finding says why
    assert "No steps: the API server rejects the StatefulSet as written" in texts
    assert any(t.startswith("Rejected: StatefulSet name 'w<e>b&\\x01'") for t in texts)
    assert "[name-invalid" in " ".join(texts)
    (tmp_path / "sts.yaml").write_text(hostile.replace('"w<e>b&\\u0001"', "web", 1))
    texts = _texts(_svg("sts.yaml", cwd=tmp_path))
    assert any("OnDelete" in t and t.startswith("No steps") for t in texts)


def test_empty_svg_is_valid(tmp_path: Path) -> None:
    (tmp_path / "svc.yaml").write_text(HEADLESS_SERVICE)
    root = _svg("svc.yaml", cwd=tmp_path)
    assert any("No Deployment, StatefulSet or DaemonSet" in t for t in _texts(root))


LONG = DEPLOYMENT.replace("replicas: 10", "replicas: 200").replace(
    "  selector:",
    "  strategy:\n    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}\n  selector:",
    1,
)


def test_long_plans_are_shortened_in_text_and_markdown(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(LONG)
    text = run("web.yaml", cwd=tmp_path).stdout
    # the plan keeps the first and the last 20 of its 400 steps, in every format
    assert "... 360 more steps\n  381 " in text
    assert len(text.splitlines()) < 70
    markdown = run("web.yaml", "--format", "markdown", cwd=tmp_path).stdout
    assert "_360 steps in the middle are not shown" in markdown
    document = json.loads(run("web.yaml", "--format", "json", cwd=tmp_path).stdout)
    workload = document["workloads"][0]
    assert len(workload["steps"]) == 40
    assert workload["omitted"] == {"steps": {"after": 20, "count": 360}}
    root = _svg("web.yaml", cwd=tmp_path)
    labels = _x_labels(root)
    assert len(labels) <= 22  # thinned out
    assert labels[0] == "start"
    assert "400" in labels  # the last step is always labelled


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs headless chromium")
def test_svg_renders_in_a_browser(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(DEPLOYMENT)
    out = run("web.yaml", "--format", "svg", "--output", "plan.svg", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    shot = tmp_path / "plan.png"
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=820,500",
            f"--screenshot={shot}",
            (tmp_path / "plan.svg").as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert shot.is_file() and shot.stat().st_size > 10_000
