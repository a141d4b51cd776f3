"""The two policies of examples/policies/ (and docs/policies.md) as a user runs them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import ROOT, load_sarif_schema
from tests.helpers import run_process

EXAMPLES = ROOT / "examples" / "policies"
MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      initContainers:
        - name: wait
          image: registry.example.com/mirror/busybox:1.36
      containers:
        - name: web
          image: docker.io/library/nginx:1.27
        - name: proxy
          image: quay.io/proxy:2.0  # kpolicy: ignore[images-from-registry]
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: prod
spec:
  serviceName: db
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
        - name: db
          image: registry.example.com/db/postgres:16.4
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: staging
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: registry.example.com/web/nginx:1.27
"""
POLICIES = "images-from-registry,prod-replicas-minimum"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "prod-web.yaml").write_text(MANIFEST)
    return tmp_path


def test_text(project: Path) -> None:
    out = run_process(
        "lint", "--policy", str(EXAMPLES), "--select", POLICIES, "prod-web.yaml", cwd=project
    )
    assert out.returncode == 1, out.stderr
    assert out.stdout.splitlines() == [
        "prod-web.yaml:7:13: error[prod-replicas-minimum] Deployment web in prod runs fewer than "
        "3 replicas: spec.replicas 1 is less than the minimum 3 (Deployment prod/web)",
        "prod-web.yaml:19:18: error[images-from-registry] container 'web' pulls from outside "
        "registry.example.com: image 'docker.io/library/nginx:1.27' does not match "
        "'^registry\\.example\\.com/' (Deployment prod/web)",
        "prod-web.yaml:28:1: error[prod-replicas-minimum] StatefulSet db in prod runs fewer than "
        "3 replicas: spec.replicas is missing (StatefulSet prod/db)",
        "3 errors, 0 warnings, 0 infos in 1 file (3 objects, 1 suppressed; Kubernetes 1.37)",
    ]


def test_json(project: Path) -> None:
    out = run_process(
        "lint",
        "--policy",
        str(EXAMPLES),
        "--select",
        POLICIES,
        "-f",
        "json",
        "prod-web.yaml",
        cwd=project,
    )
    assert out.returncode == 1, out.stderr
    report = json.loads(out.stdout)
    jsonschema.validate(report, json.loads((ROOT / "schemas" / "report.schema.json").read_text()))
    found = [
        (d["rule"], d["line"], d["column"], d["endLine"], d["endColumn"], d["path"])
        for d in report["diagnostics"]
    ]
    assert found == [
        ("prod-replicas-minimum", 7, 13, 7, 14, "/spec/replicas"),
        ("images-from-registry", 19, 18, 19, 46, "/spec/template/spec/containers/0/image"),
        # a missing key: the mapping that should hold it
        ("prod-replicas-minimum", 28, 1, 28, 5, "/spec"),
    ]
    assert report["diagnostics"][1]["object"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "namespace": "prod",
        "name": "web",
    }


def test_sarif(project: Path) -> None:
    out = run_process(
        "lint",
        "--policy",
        str(EXAMPLES),
        "--select",
        POLICIES,
        "-f",
        "sarif",
        "prod-web.yaml",
        cwd=project,
    )
    assert out.returncode == 1, out.stderr
    log = json.loads(out.stdout)
    run = log["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert rules["images-from-registry"]["helpUri"] == "https://wiki.example.com/platform/registry"
    assert rules["prod-replicas-minimum"]["helpUri"].endswith("/docs/policies.md")
    assert rules["prod-replicas-minimum"]["defaultConfiguration"]["level"] == "error"
    assert rules["prod-replicas-minimum"]["help"]["text"] == "Set spec.replicas to 3 or more."
    results = [
        (r["ruleId"], r["locations"][0]["physicalLocation"]["region"], r["properties"]["path"])
        for r in run["results"]
    ]
    assert results == [
        (
            "prod-replicas-minimum",
            {"startLine": 7, "startColumn": 13, "endLine": 7, "endColumn": 14},
            "/spec/replicas",
        ),
        (
            "images-from-registry",
            {"startLine": 19, "startColumn": 18, "endLine": 19, "endColumn": 46},
            "/spec/template/spec/containers/0/image",
        ),
        (
            "prod-replicas-minimum",
            {"startLine": 28, "startColumn": 1, "endLine": 28, "endColumn": 5},
            "/spec",
        ),
    ]
    for result in run["results"]:
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    jsonschema.validate(log, load_sarif_schema())  # skips without ../shared


def test_policies_from_config_with_severity_and_exemption(project: Path) -> None:
    # a config's policies are inside its folder (SECURITY.md, rule 3)
    shutil.copytree(EXAMPLES, project / "policies")
    (project / ".kpolicy.yaml").write_text("""\
policies: [policies]
rules:
  prod-replicas-minimum: warning
exemptions:
  - rules: [prod-replicas-minimum]
    kinds: [StatefulSet]
""")
    out = run_process("lint", "--select", POLICIES, "-f", "json", "prod-web.yaml", cwd=project)
    report = json.loads(out.stdout)
    assert [(d["rule"], d["severity"], d["line"]) for d in report["diagnostics"]] == [
        ("prod-replicas-minimum", "warning", 7),
        ("images-from-registry", "error", 19),
    ]
    assert report["summary"]["suppressed"] == 2


def test_rules_command_lists_policies(project: Path) -> None:
    out = run_process("rules", "--policy", str(EXAMPLES), cwd=project)
    assert out.returncode == 0
    assert any(line.startswith("images-from-registry ") for line in out.stdout.splitlines())
    one = run_process(
        "rules", "prod-replicas-minimum", "--policy", str(EXAMPLES), "-f", "json", cwd=project
    )
    data = json.loads(one.stdout)
    assert data["target"] == "object" and data["match"] == {"namespaces": ["prod"]}


def test_bad_policy_is_a_usage_error(project: Path) -> None:
    (project / "broken.yaml").write_text(
        (EXAMPLES / "images-from-registry.yaml")
        .read_text()
        .replace("severity: error", "severity: fatal")
    )
    out = run_process("lint", "--policy", "broken.yaml", "prod-web.yaml", cwd=project)
    assert out.returncode == 2
    assert out.stderr.startswith("kpolicy: error: broken.yaml:6: invalid rule file at severity:")
