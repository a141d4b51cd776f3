"""`kpolicy plan` as a user runs it: the real command in a subprocess, without a previous
version (a template update from a fully available old revision)."""

from __future__ import annotations

import json
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.conftest import ROOT
from tests.helpers import cli

SCHEMA = ROOT / "schemas" / "plan.schema.json"


def run(*args: str, cwd: Path = ROOT, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``kpolicy plan ARGS`` in this process (``tests.helpers.cli``)."""
    return cli("plan", *args, cwd=cwd, stdin=stdin)


@cache
def _validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def plan_json(*args: str, cwd: Path = ROOT, stdin: str | None = None) -> dict[str, Any]:
    """Run ``kpolicy plan --format json``; the document must validate against the schema."""
    out = run(*args, "--format", "json", cwd=cwd, stdin=stdin)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    doc: dict[str, Any] = json.loads(out.stdout)
    errors = sorted(_validator().iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    return doc


def workload(doc: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    found = [
        w for w in doc["workloads"] if w["object"]["kind"] == kind and w["object"]["name"] == name
    ]
    assert len(found) == 1, [w["object"] for w in doc["workloads"]]
    only: dict[str, Any] = found[0]
    return only


def has_note(item: dict[str, Any], text: str) -> bool:
    return any(text in note for note in item["notes"])


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 10
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
"""

STATEFULSET = """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: nginx
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
"""

HEADLESS_SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: nginx
spec:
  clusterIP: None
  selector: {app: web}
  ports:
    - port: 80
"""

DAEMONSET = """\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  namespace: kube-system
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      nodeSelector: {kubernetes.io/os: linux}
      containers:
        - name: agent
          image: agent:1
"""

NODES = """\
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Node
    metadata:
      name: worker-1
      labels: {kubernetes.io/os: linux}
  - apiVersion: v1
    kind: Node
    metadata:
      name: control-1
      labels: {kubernetes.io/os: linux}
    spec:
      taints:
        - {key: node-role.kubernetes.io/control-plane, effect: NoSchedule}
  - apiVersion: v1
    kind: Node
    metadata:
      name: win-1
      labels: {kubernetes.io/os: windows}
  - apiVersion: v1
    kind: Node
    metadata:
      name: worker-2
      labels: {kubernetes.io/os: linux}
"""


def test_worked_deployment_example(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(DEPLOYMENT)
    doc = plan_json("web.yaml", cwd=tmp_path)
    assert doc["clusterDomain"] == "cluster.local"
    web = workload(doc, "Deployment", "web")
    assert web["change"] == "rollout"
    assert web["strategy"]["maxSurge"] == 3
    assert web["strategy"]["maxUnavailable"] == 2
    assert web["bounds"] == {"maxPods": 13, "minAvailable": 8}
    assert web["steps"] == [
        {"new": 3, "old": [8]},
        {"new": 5, "old": [8]},
        {"new": 5, "old": [3]},
        {"new": 10, "old": [3]},
        {"new": 10, "old": [0]},
    ]


def test_worked_example_as_text(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(DEPLOYMENT)
    out = run("web.yaml", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("kpolicy plan: 1 workload; Kubernetes 1.37")
    assert lines[1].startswith("model of time: one step is one controller sync")
    assert out.stdout.count("model of time") == 1
    assert "Deployment default/web  web.yaml:2" in out.stdout
    assert "bounds    at most 13 Pods, at least 8 available" in out.stdout
    table = [
        line.split()
        for line in lines
        if line.strip().split(" ")[0] in ("step", "start", "1", "2", "3", "4", "5")
    ]
    assert table == [
        ["step", "new", "old", "total", "available"],
        ["start", "0", "10", "10", "10"],
        ["1", "3", "8", "11", "8"],
        ["2", "5", "8", "13", "11"],
        ["3", "5", "3", "8", "8"],
        ["4", "10", "3", "13", "8"],
        ["5", "10", "0", "10", "10"],
    ]


def test_statefulset_dns_names_with_a_headless_service(tmp_path: Path) -> None:
    # the Service is in another file: DNS names come from every input (the index)
    (tmp_path / "sts.yaml").write_text(STATEFULSET)
    (tmp_path / "svc.yaml").write_text(HEADLESS_SERVICE)
    doc = plan_json(".", cwd=tmp_path)
    web = workload(doc, "StatefulSet", "web")
    assert [pod["fqdn"] for pod in web["pods"]] == [
        "web-0.nginx.default.svc.cluster.local",
        "web-1.nginx.default.svc.cluster.local",
        "web-2.nginx.default.svc.cluster.local",
    ]
    assert web["serviceDomain"] == "nginx.default.svc.cluster.local"
    assert web["updateOrder"] == ["web-2", "web-1", "web-0"]
    assert web["steps"][:2] == [{"delete": ["web-2"]}, {"create": ["web-2"]}]
    assert has_note(web, "on creation Pods are created one at a time")
    assert has_note(web, "web-0, web-1, web-2")
    text = run(".", cwd=tmp_path).stdout
    assert "web-0  web-0.nginx.default.svc.cluster.local" in text
    assert "update order  web-2, web-1, web-0" in text
    assert "creation order  one at a time" in text


def test_statefulset_without_a_service_gets_hostnames_and_a_note(tmp_path: Path) -> None:
    (tmp_path / "sts.yaml").write_text(STATEFULSET)
    doc = plan_json("sts.yaml", cwd=tmp_path)
    web = workload(doc, "StatefulSet", "web")
    assert [pod["hostname"] for pod in web["pods"]] == ["web-0", "web-1", "web-2"]
    assert all(pod["fqdn"] is None for pod in web["pods"])
    assert has_note(web, "no Service 'nginx' in namespace 'default'")


def test_statefulset_with_a_service_that_is_not_headless(tmp_path: Path) -> None:
    service = HEADLESS_SERVICE.replace("  clusterIP: None\n", "")
    (tmp_path / "all.yaml").write_text(STATEFULSET + "---\n" + service)
    web = workload(plan_json("all.yaml", cwd=tmp_path), "StatefulSet", "web")
    assert all(pod["fqdn"] is None for pod in web["pods"])
    assert has_note(web, "not headless")


def test_cluster_domain(tmp_path: Path) -> None:
    (tmp_path / "all.yaml").write_text(STATEFULSET + "---\n" + HEADLESS_SERVICE)
    doc = plan_json("all.yaml", "--cluster-domain", "k8s.example.org", cwd=tmp_path)
    assert doc["clusterDomain"] == "k8s.example.org"
    web = workload(doc, "StatefulSet", "web")
    assert web["pods"][0]["fqdn"] == "web-0.nginx.default.svc.k8s.example.org"


def test_parallel_creation_note(tmp_path: Path) -> None:
    parallel = STATEFULSET.replace(
        "  replicas: 3\n", "  replicas: 3\n  podManagementPolicy: Parallel\n"
    )
    (tmp_path / "sts.yaml").write_text(parallel)
    web = workload(plan_json("sts.yaml", cwd=tmp_path), "StatefulSet", "web")
    assert has_note(web, "all Pods are created at once (Parallel): web-0, web-1, web-2")


def test_kubernetes_version_and_feature_gates(tmp_path: Path) -> None:
    with_budget = STATEFULSET.replace(
        "  replicas: 3\n",
        "  replicas: 4\n  updateStrategy:\n    rollingUpdate: {maxUnavailable: 2}\n",
    )
    (tmp_path / "sts.yaml").write_text(with_budget)
    new = workload(plan_json("sts.yaml", cwd=tmp_path), "StatefulSet", "web")
    assert new["strategy"]["maxUnavailable"] == 2
    assert new["steps"][0] == {"delete": ["web-3", "web-2"]}
    # before 1.35 the MaxUnavailableStatefulSet gate is off: one Pod at a time
    old = workload(
        plan_json("sts.yaml", "--kubernetes-version", "1.33", cwd=tmp_path), "StatefulSet", "web"
    )
    assert old["strategy"]["maxUnavailable"] == 1
    assert old["steps"][0] == {"delete": ["web-3"]}
    gated = workload(
        plan_json(
            "sts.yaml",
            "--kubernetes-version",
            "1.33",
            "--feature-gates",
            "MaxUnavailableStatefulSet=true",
            cwd=tmp_path,
        ),
        "StatefulSet",
        "web",
    )
    assert gated["steps"][0] == {"delete": ["web-3", "web-2"]}
    assert (
        plan_json("sts.yaml", "--kubernetes-version", "1.33", cwd=tmp_path)["kubernetesVersion"]
        == "1.33"
    )


def test_daemonset_nodes_with_a_reason_per_skipped_node(tmp_path: Path) -> None:
    (tmp_path / "ds.yaml").write_text(DAEMONSET)
    (tmp_path / "nodes.yaml").write_text(NODES)
    doc = plan_json("ds.yaml", "--nodes", "nodes.yaml", cwd=tmp_path)
    agent = workload(doc, "DaemonSet", "agent")
    nodes = {node["name"]: node for node in agent["nodes"]}
    assert nodes["worker-1"] == {"name": "worker-1", "runs": True}
    assert nodes["worker-2"] == {"name": "worker-2", "runs": True}
    assert nodes["control-1"]["runs"] is False
    assert "node-role.kubernetes.io/control-plane" in nodes["control-1"]["reason"]
    assert nodes["win-1"]["runs"] is False
    assert "kubernetes.io/os=linux does not match" in nodes["win-1"]["reason"]
    assert agent["replicas"] == 2
    assert agent["bounds"] == {"maxPods": 2, "minAvailable": 1}
    assert agent["steps"][-1] == {"new": 2, "old": 0}
    text = run("ds.yaml", "--nodes", "nodes.yaml", cwd=tmp_path).stdout
    assert "worker-1   runs" in text
    assert "win-1      skipped: node selector kubernetes.io/os=linux does not match" in text


def test_daemonset_without_nodes_is_planned_over_hypothetical_nodes(tmp_path: Path) -> None:
    (tmp_path / "ds.yaml").write_text(DAEMONSET)
    agent = workload(plan_json("ds.yaml", cwd=tmp_path), "DaemonSet", "agent")
    assert agent["replicas"] == 3
    assert agent["nodes"] == []
    assert has_note(agent, "hypothetical nodes")


def test_nodes_file_without_nodes_warns(tmp_path: Path) -> None:
    (tmp_path / "ds.yaml").write_text(DAEMONSET)
    (tmp_path / "nodes.yaml").write_text("apiVersion: v1\nkind: List\nitems: []\n")
    out = run("ds.yaml", "--nodes", "nodes.yaml", cwd=tmp_path)
    assert out.returncode == 0
    assert "kpolicy: warning: nodes.yaml: no Node objects" in out.stderr


def test_examples_are_planned() -> None:
    out = run("examples/web.yaml", "examples/database.yaml", "examples/agent.yaml")
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    for title in (
        "Deployment shop/web",
        "StatefulSet shop/postgres",
        "DaemonSet monitoring/node-agent",
    ):
        assert title in out.stdout
    doc = plan_json("examples")
    names = sorted((w["object"]["kind"], w["object"]["name"]) for w in doc["workloads"])
    assert names == [
        ("DaemonSet", "node-agent"),
        ("Deployment", "web"),
        ("StatefulSet", "postgres"),
    ]
    first = plan_json("examples/database.yaml")
    postgres = workload(first, "StatefulSet", "postgres")
    assert has_note(postgres, "partition 3 is not below replicas 3")
    assert postgres["steps"] == []
    assert [pod["name"] for pod in postgres["pods"]] == ["postgres-0", "postgres-1", "postgres-2"]


def test_stdin(tmp_path: Path) -> None:
    doc = plan_json("-", cwd=tmp_path, stdin=DEPLOYMENT)
    assert workload(doc, "Deployment", "web")["bounds"] == {"maxPods": 13, "minAvailable": 8}
    text = run("-", "--stdin-filename", "web.yaml", cwd=tmp_path, stdin=DEPLOYMENT).stdout
    assert "Deployment default/web  web.yaml:2" in text


def test_no_workloads(tmp_path: Path) -> None:
    (tmp_path / "svc.yaml").write_text(HEADLESS_SERVICE)
    out = run("svc.yaml", cwd=tmp_path)
    assert out.returncode == 0
    assert "no Deployment, StatefulSet or DaemonSet in 1 file" in out.stdout
    assert plan_json("svc.yaml", cwd=tmp_path)["workloads"] == []


def test_output_file(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(DEPLOYMENT)
    out = run("web.yaml", "--format", "json", "--output", "plan.json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout == ""
    doc = json.loads((tmp_path / "plan.json").read_text())
    assert doc["workloads"][0]["bounds"]["maxPods"] == 13


BROKEN = (
    """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: broken
spec: [
---
"""
    + DEPLOYMENT
)


@pytest.mark.parametrize("output_format", ["text", "json", "markdown", "svg"])
def test_broken_yaml_is_a_warning_and_the_rest_is_planned(
    tmp_path: Path, output_format: str
) -> None:
    (tmp_path / "broken.yaml").write_text(BROKEN)
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00garbage\x00")
    (tmp_path / "sts.yaml").write_text(STATEFULSET)
    out = run(".", "--format", output_format, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    warnings = out.stderr.splitlines()
    assert warnings
    assert all(line.startswith("kpolicy: warning: ") for line in warnings)
    assert any(
        line.startswith("kpolicy: warning: broken.yaml:4:5: invalid YAML") for line in warnings
    )
    if output_format == "json":
        doc = json.loads(out.stdout)
        assert {w["object"]["name"] for w in doc["workloads"]} == {"web"}
        assert {w["object"]["kind"] for w in doc["workloads"]} == {"Deployment", "StatefulSet"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--format", "xml", "x.yaml"), "unknown format 'xml'"),
        (("--kubernetes-version", "1.20", "x.yaml"), "unsupported Kubernetes version '1.20'"),
        (("--feature-gates", "Foo", "x.yaml"), "--feature-gates expects Name=true|false"),
        (("--cluster-domain", "Not_A_Domain", "x.yaml"), "--cluster-domain"),
        (("--nodes", "missing.yaml", "x.yaml"), "missing.yaml"),
        (("--from", "x.yaml", "--base", "HEAD", "x.yaml"), "--from and --base"),
        (("--base", "-rf", "x.yaml"), "is not a git revision"),
        (("--base", "HEAD", "-"), "stdin"),
    ],
)
def test_usage_errors_are_one_line_with_exit_2(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    (tmp_path / "x.yaml").write_text(DEPLOYMENT)
    out = run(*args, cwd=tmp_path, stdin="")
    assert out.returncode == 2
    assert out.stderr.startswith("kpolicy: error: ")
    assert message in out.stderr
    assert "Traceback" not in out.stderr


def test_missing_path_is_an_error_but_the_rest_is_planned(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(DEPLOYMENT)
    out = run("web.yaml", "nope.yaml", cwd=tmp_path)
    assert out.returncode == 2
    assert "kpolicy: error: nope.yaml: no such file or directory" in out.stderr
    assert "Deployment default/web" in out.stdout


def test_hostile_workloads_do_not_crash(tmp_path: Path) -> None:
    hostile = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: a}
spec: {replicas: "many", strategy: {rollingUpdate: {maxSurge: [1]}}, template: 7}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: "b\\u0001"}
spec: {replicas: -3, serviceName: {x: 1}, ordinals: {start: "one"}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: []
spec: null
"""
    (tmp_path / "hostile.yaml").write_text(hostile)
    doc = plan_json("hostile.yaml", cwd=tmp_path)
    assert len(doc["workloads"]) == 3
    for output_format in ("text", "markdown", "svg"):
        out = run("hostile.yaml", "--format", output_format, cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        assert "Traceback" not in out.stderr
