"""Baselines: --write-baseline writes the findings, --baseline (or baseline: in config) reports
only the others, whatever lines moved; entries that match nothing any more are fixed."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

import kpolicy.cache as cache_module
from kpolicy.cli import app
from tests.conftest import ROOT, load_sarif_schema

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: web
          image: nginx:1.27
"""
STATEFULSET = """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: shop
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
          image: postgres:16
"""
BASELINE_SCHEMA = json.loads((ROOT / "schemas" / "baseline.schema.json").read_text())
REPORT_SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text())


def lint(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["lint", "--no-color", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def age(*paths: Path) -> None:
    """A file written within the last seconds is not cached: date them back."""
    past = time.time() - 60
    for path in paths:
        os.utime(path, (past, past))


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    (root / "k8s").mkdir(parents=True)
    (root / "k8s" / "web.yaml").write_text(DEPLOYMENT)
    (root / "k8s" / "db.yaml").write_text(STATEFULSET)
    monkeypatch.chdir(root)
    return root


def written(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    jsonschema.validate(data, BASELINE_SCHEMA)
    return data


def test_write_baseline_is_sorted_stable_and_valid(repo: Path) -> None:
    code, out, err = lint("k8s", "--write-baseline", "kpolicy-baseline.json")
    assert code == 0, (out, err)
    assert "wrote 2 findings to the baseline kpolicy-baseline.json" in err
    assert out.endswith("(2 objects, 0 suppressed, 2 baselined; Kubernetes 1.37)\n")
    path = repo / "kpolicy-baseline.json"
    data = written(path)
    assert data["version"] == 1
    assert [(f["file"], f["rule"]) for f in data["findings"]] == [
        ("k8s/db.yaml", "statefulset-service-not-found"),
        ("k8s/web.yaml", "selector-mismatch"),
    ]
    web = data["findings"][1]
    assert web["object"] == {"kind": "Deployment", "namespace": "shop", "name": "web"}
    assert web["path"] == "/spec/selector" and "app=api" in web["message"]
    assert len(web["fingerprint"]) == 32
    # one finding per line, and the same bytes when nothing changed but lines
    lines = path.read_text().splitlines()
    assert sum(1 for line in lines if line.strip().startswith('{"file"')) == 2
    before = path.read_text()
    (repo / "k8s" / "web.yaml").write_text("# a comment\n\n" + DEPLOYMENT)
    assert lint("k8s", "--write-baseline", "kpolicy-baseline.json")[0] == 0
    assert path.read_text() == before


def test_only_new_findings_are_reported_and_moved_lines_still_match(repo: Path) -> None:
    assert lint("k8s", "--write-baseline", "b.json")[0] == 0
    code, out, _ = lint("k8s", "--baseline", "b.json")
    assert code == 0 and out == (
        "0 errors, 0 warnings, 0 infos in 2 files (2 objects, 0 suppressed, 2 baselined; "
        "Kubernetes 1.37)\n"
    )
    # lines above the finding, and a new finding in the same file
    web = repo / "k8s" / "web.yaml"
    web.write_text(
        "# moved\n# down\n# three lines\n"
        + DEPLOYMENT.replace(
            "          image: nginx:1.27\n", "          image: nginx:1.27\n  replicas: -1\n"
        )
    )
    code, out, _ = lint("k8s", "--baseline", "b.json", "-f", "json")
    report = json.loads(out)
    jsonschema.validate(report, REPORT_SCHEMA)
    assert code == 1
    assert [(d["rule"], d["line"]) for d in report["diagnostics"]] == [("value-negative", 19)]
    assert report["summary"]["baselined"] == 2
    assert report["summary"]["fixedBaselineEntries"] == 0
    assert report["baseline"] == "b.json"


def test_the_baseline_matches_from_another_folder(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """File names are relative to the baseline's folder, not to where kpolicy runs."""
    assert lint("k8s", "--write-baseline", "b.json")[0] == 0
    monkeypatch.chdir(repo / "k8s")
    code, out, _ = lint(".", "--baseline", "../b.json")
    assert code == 0 and "2 baselined" in out


def test_each_entry_matches_one_finding(repo: Path) -> None:
    """Two identical findings (the same object twice in one file) need two entries."""
    (repo / "k8s" / "db.yaml").unlink()
    web = repo / "k8s" / "web.yaml"
    web.write_text(DEPLOYMENT + "---\n" + DEPLOYMENT)
    assert lint("k8s", "--write-baseline", "b.json")[0] == 0
    data = written(repo / "b.json")
    assert [f["rule"] for f in data["findings"]] == ["selector-mismatch", "selector-mismatch"]
    data["findings"].pop()
    (repo / "b.json").write_text(json.dumps(data))
    code, out, _ = lint("k8s", "--baseline", "b.json")
    assert code == 1
    assert out.splitlines()[0].startswith("k8s/web.yaml:23:3: error[selector-mismatch]")
    assert "1 baselined" in out


def test_entries_that_match_nothing_are_fixed(repo: Path) -> None:
    assert lint("k8s", "--write-baseline", "b.json")[0] == 0
    (repo / "k8s" / "web.yaml").write_text(DEPLOYMENT.replace("app: api", "app: web"))
    code, out, _ = lint("k8s", "--baseline", "b.json")
    assert code == 0
    assert out.splitlines()[:2] == [
        "note: 1 entry of the baseline b.json matches no finding any more (fixed); write the "
        "baseline again (--write-baseline) to drop it:",
        "  fixed: k8s/web.yaml: selector-mismatch (Deployment shop/web) selector app=web does "
        "not match template labels app=api; the API server rejects this",
    ]
    report = json.loads(lint("k8s", "--baseline", "b.json", "-f", "json")[1])
    assert report["summary"]["fixedBaselineEntries"] == 1
    assert report["summary"]["baselined"] == 1


def test_what_a_run_did_not_check_is_not_fixed(repo: Path) -> None:
    """pre-commit lints a few files, --select a few rules: the other entries are unknown."""
    assert lint("k8s", "--write-baseline", "b.json")[0] == 0
    report = json.loads(lint("k8s/web.yaml", "--baseline", "b.json", "-f", "json")[1])
    assert report["summary"]["baselined"] == 1
    assert report["summary"]["fixedBaselineEntries"] == 0
    report = json.loads(
        lint("k8s", "--select", "selector-mismatch", "--baseline", "b.json", "-f", "json")[1]
    )
    assert report["summary"]["fixedBaselineEntries"] == 0
    # a file that is gone is fixed, checked or not
    (repo / "k8s" / "db.yaml").unlink()
    report = json.loads(lint("k8s/web.yaml", "--baseline", "b.json", "-f", "json")[1])
    assert report["summary"]["fixedBaselineEntries"] == 1


def test_missing_or_broken_baseline_is_a_usage_error(repo: Path) -> None:
    code, out, err = lint("k8s", "--baseline", "missing.json")
    assert code == 2 and out == ""
    assert err == (
        "kpolicy: error: missing.json: baseline not found (write one with "
        "--write-baseline missing.json)\n"
    )
    (repo / "b.json").write_text('{\n  "version": 1,\n')
    code, _, err = lint("k8s", "--baseline", "b.json")
    assert code == 2 and err.startswith("kpolicy: error: b.json:3: invalid baseline:")
    (repo / "b.json").write_text('{"version": 1, "findings": [{"file": "x"}]}')
    code, _, err = lint("k8s", "--baseline", "b.json")
    assert code == 2 and "invalid baseline at findings/0" in err
    code, _, err = lint("k8s", "--baseline", "k8s")
    assert code == 2 and "cannot read the baseline" in err
    code, _, err = lint("k8s", "--baseline", "b.json", "--write-baseline", "c.json")
    assert code == 2 and "give one" in err


def test_write_baseline_refuses_when_a_path_cannot_be_read(repo: Path) -> None:
    code, _, err = lint("k8s", "missing.yaml", "--write-baseline", "b.json")
    assert code == 2 and "was not written" in err
    assert not (repo / "b.json").exists()


def test_baseline_in_config_is_relative_to_it_and_stays_inside(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert lint("k8s", "--write-baseline", "b.json")[0] == 0
    (repo / ".kpolicy.yaml").write_text("baseline: b.json\n")
    monkeypatch.chdir(repo / "k8s")
    code, out, _ = lint(".")
    assert code == 0 and "2 baselined" in out
    (repo / ".kpolicy.yaml").write_text("baseline: ../outside.json\n")
    code, _, err = lint(".")
    assert code == 2
    assert "invalid config: baseline '../outside.json' is outside the folder" in err
    assert err.startswith(f"kpolicy: error: {repo / '.kpolicy.yaml'}:1:1:")
    # --baseline on the command line wins over the config's
    (repo / ".kpolicy.yaml").write_text("baseline: missing.json\n")
    assert lint(".", "--baseline", "../b.json")[0] == 0


def test_sarif_marks_new_results_and_shows_baselined_ones_when_asked(repo: Path) -> None:
    schema = load_sarif_schema()
    assert lint("k8s/db.yaml", "--write-baseline", "b.json")[0] == 0
    code, out, _ = lint("k8s", "--baseline", "b.json", "-f", "sarif")
    assert code == 1
    log = json.loads(out)
    jsonschema.validate(log, schema)
    run = log["runs"][0]
    assert [(r["ruleId"], r["baselineState"]) for r in run["results"]] == [
        ("selector-mismatch", "new")
    ]
    assert run["properties"]["baselined"] == 1 and run["properties"]["fixedBaselineEntries"] == 0
    out = lint("k8s", "--baseline", "b.json", "-f", "sarif", "--show-suppressed")[1]
    log = json.loads(out)
    jsonschema.validate(log, schema)
    hidden = [r for r in log["runs"][0]["results"] if "suppressions" in r]
    assert [(r["ruleId"], r["baselineState"], r["suppressions"]) for r in hidden] == [
        (
            "statefulset-service-not-found",
            "unchanged",
            [{"kind": "external", "justification": "listed in the baseline b.json"}],
        )
    ]


def test_the_cache_keys_on_the_baseline_content(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A replay never reuses a result computed with another baseline (given on the command
    line or in config)."""
    monkeypatch.setenv(cache_module.CACHE_ENV, str(tmp_path / "cache"))
    age(*(repo / "k8s").iterdir())
    assert lint("k8s", "--write-baseline", "b.json")[0] == 0
    age(repo / "b.json")
    first = lint("k8s", "--baseline", "b.json", "-f", "json")
    assert first[0] == 0
    assert lint("k8s", "--baseline", "b.json", "-f", "json") == first
    assert list((tmp_path / "cache" / "results" / "lint").glob("*.json"))
    data = json.loads((repo / "b.json").read_text())
    data["findings"].pop()
    (repo / "b.json").write_text(json.dumps(data))
    age(repo / "b.json")
    code, out, _ = lint("k8s", "--baseline", "b.json", "-f", "json")
    assert code == 1 and json.loads(out)["summary"]["baselined"] == 1
    # the same through the config's baseline:
    (repo / ".kpolicy.yaml").write_text("baseline: b.json\n")
    age(repo / ".kpolicy.yaml")
    assert lint("k8s", "-f", "json")[0] == 1
    assert lint("k8s", "-f", "json")[0] == 1  # replayed
    assert lint("k8s", "--write-baseline", "b.json")[0] == 0  # never replayed
    age(repo / "b.json")
    code, out, _ = lint("k8s", "-f", "json")
    assert code == 0 and json.loads(out)["summary"]["baselined"] == 2


def test_a_message_that_names_a_line_still_matches_when_lines_move(repo: Path) -> None:
    config = repo / "k8s" / "config.yaml"
    config.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: '1'\n  a: '2'\n"
    )
    assert lint("k8s", "--write-baseline", "b.json")[0] == 0
    assert "(first at line 5)" in (repo / "b.json").read_text()
    config.write_text("# one\n# two\n" + config.read_text())
    code, out, _ = lint("k8s", "--baseline", "b.json")
    assert code == 0 and "3 baselined" in out and "note:" not in out
