"""Baselines and suppressions on real repository layouts (issue 18 on top of issue 14): files
skipped as non-manifests or chart templates, findings on rendered Helm output, context
findings shown on a staged file, and findings of a kustomize build placed on its sources."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

import kpolicy.dates
from kpolicy.cli import app
from tests.conftest import ROOT
from tests.test_cli import BAD
from tests.test_repo import CHART, OVERLAY, RENDERED, SERVICE, STATEFULSET, needs_kustomize, write

REPORT_SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
BASELINE_SCHEMA = json.loads((ROOT / "schemas" / "baseline.schema.json").read_text())
UNUSED = "unused-suppression"


def lint(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        app, ["lint", "--no-color", "--no-cache", *args], input=stdin, catch_exceptions=False
    )
    return result.exit_code, result.stdout, result.stderr


def report(*args: str, stdin: str | None = None) -> dict[str, Any]:
    code, out, err = lint(*args, "-f", "json", stdin=stdin)
    assert code in (0, 1), err
    data: dict[str, Any] = json.loads(out)
    jsonschema.validate(data, REPORT_SCHEMA)
    return data


def entries(path: Path) -> list[tuple[str, str, str]]:
    data = json.loads(path.read_text())
    jsonschema.validate(data, BASELINE_SCHEMA)
    return [(f["file"], f["rule"], f["path"]) for f in data["findings"]]


@pytest.fixture
def layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with a chart, neighbours that are not manifests, and one bad manifest."""
    write(
        tmp_path,
        {
            **CHART,
            "deploy/web.yaml": BAD,
            "deploy/kustomization.yaml": "resources: [web.yaml]\n",
            ".github/workflows/ci.yaml": "on: [push]\njobs: {}\n",
        },
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_summary_counts_skipped_files_and_baselined_findings(layout: Path) -> None:
    code, _, err = lint(".", "--write-baseline", "b.json")
    assert code == 0 and "wrote 2 findings" in err
    assert entries(layout / "b.json") == [
        ("charts/web/Chart.yaml", "helm-chart-not-rendered", ""),
        ("deploy/web.yaml", "selector-mismatch", "/spec/selector"),
    ]
    code, out, _ = lint(".", "--baseline", "b.json")
    assert code == 0
    assert out == (
        "0 errors, 0 warnings, 0 infos in 1 file (1 object, 0 suppressed, 2 baselined; "
        "Kubernetes 1.37), 6 files skipped (4 not Kubernetes manifests, 2 Helm chart "
        "templates)\n"
    )
    summary = report(".", "--baseline", "b.json")["summary"]
    assert (summary["skipped"], summary["baselined"], summary["fixedBaselineEntries"]) == (6, 2, 0)
    # -v lists the skipped files and the baselined findings read as such
    out = lint(".", "--baseline", "b.json", "-v", "--show-suppressed")[1]
    assert "deploy/kustomization.yaml: skipped: kustomization" in out
    assert "Helm chart 'web': 2 templates not linted" in out and out.count("[baselined]") == 2


def test_entries_of_files_now_skipped_are_fixed(layout: Path) -> None:
    """A baseline written before kpolicy skipped chart templates and neighbours lists their
    findings: they will not come back, so the entries are fixed (the baseline can shrink)."""
    old = {
        "version": 1,
        "tool": "kpolicy",
        "findings": [
            {
                "file": "charts/web/templates/deployment.yaml",
                "rule": "yaml-syntax",
                "object": None,
                "path": "",
                "message": "invalid YAML: unrendered template",
                "fingerprint": "0" * 32,
            },
            {
                "file": "charts/web/values.yaml",
                "rule": "manifest-invalid",
                "object": None,
                "path": "",
                "message": "not an object",
                "fingerprint": "1" * 32,
            },
            {
                "file": "deploy/web.yaml",
                "rule": "selector-mismatch",
                "object": {"kind": "Deployment", "namespace": None, "name": "web"},
                "path": "/spec/selector",
                "message": "the message changed",
                "fingerprint": "2" * 32,
            },
        ],
    }
    (layout / "b.json").write_text(json.dumps(old))
    data = report(".", "--baseline", "b.json")
    assert data["summary"]["fixedBaselineEntries"] == 3
    # named alone (pre-commit): a skipped template's entry is fixed, the others are unknown
    data = report("charts/web/templates/deployment.yaml", "--baseline", "b.json")
    assert data["summary"]["fixedBaselineEntries"] == 1


def test_a_context_finding_shown_on_the_staged_file_is_the_baselined_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pre-commit lints the staged Service with the repository as context: the StatefulSet's
    finding is shown on the Service, and it is the finding the whole repository's baseline
    lists (at the StatefulSet, where its rule found it)."""
    monkeypatch.chdir(tmp_path)
    write(
        tmp_path,
        {
            "db.yaml": STATEFULSET,
            "svc.yaml": SERVICE.replace("clusterIP: None", "clusterIP: 10.0.0.9"),
        },
    )
    assert lint(".", "--write-baseline", "b.json")[0] == 0
    assert entries(tmp_path / "b.json") == [
        ("db.yaml", "statefulset-service-not-headless", "/spec/serviceName")
    ]
    staged = report("svc.yaml", "--context", ".")
    assert [(d["file"], d["path"]) for d in staged["diagnostics"]] == [("svc.yaml", "")]
    (shown,) = report("svc.yaml", "--context", ".", "--baseline", "b.json", "--show-suppressed")[
        "baselined"
    ]
    assert (shown["file"], shown["line"], shown["suppressedBy"]) == ("svc.yaml", 5, "baseline")
    staged = report("svc.yaml", "--context", ".", "--baseline", "b.json")
    assert staged["summary"]["baselined"] == 1 and staged["diagnostics"] == []
    assert staged["summary"]["fixedBaselineEntries"] == 0
    # a baseline written by the staged run lists the same entry
    assert lint("svc.yaml", "--context", ".", "--write-baseline", "c.json")[0] == 0
    assert (tmp_path / "c.json").read_text() == (tmp_path / "b.json").read_text()


def test_rendered_helm_output_is_baselined_with_its_origin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, CHART)
    args = ("-", "--stdin-filename", "rendered.yaml")
    assert lint(*args, "--write-baseline", "b.json", stdin=RENDERED)[0] == 0
    assert {file for file, _, _ in entries(tmp_path / "b.json")} == {"rendered.yaml"}
    # the chart's templates changed lines: the rendered output moved, the entries still match
    moved = RENDERED.replace(
        "# Source: web/templates/deployment.yaml\n",
        "# Source: web/templates/deployment.yaml\n# a comment\n\n",
    )
    data = report(*args, "--baseline", "b.json", "--show-suppressed", stdin=moved)
    assert data["diagnostics"] == [] and data["summary"]["fixedBaselineEntries"] == 0
    mismatch = next(d for d in data["baselined"] if d["rule"] == "selector-mismatch")
    assert mismatch["origin"]["localFile"] == "charts/web/templates/deployment.yaml"
    out = lint(*args, "--baseline", "b.json", "--show-suppressed", stdin=moved)[1]
    assert "[from charts/web/templates/deployment.yaml:9] [baselined]" in out


@needs_kustomize
def test_a_kustomize_build_is_baselined_on_its_source_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, OVERLAY)
    write(
        tmp_path,
        {
            "overlays/prod/kustomization.yaml": "resources: [../../base]\n",
            "base/kustomization.yaml": "commonLabels: {app: web}\nresources: [deployment.yaml]\n",
        },
    )
    code, _, err = lint("--kustomize", "overlays/prod", "--write-baseline", "b.json")
    assert code == 0, err
    assert entries(tmp_path / "b.json") == [
        (
            "base/deployment.yaml",
            "image-tag-missing-or-latest",
            "/spec/template/spec/containers/0/image",
        )
    ]
    data = report("--kustomize", "overlays/prod", "--baseline", "b.json")
    assert data["diagnostics"] == []
    assert (data["summary"]["baselined"], data["summary"]["fixedBaselineEntries"]) == (1, 0)
    # fixed in the base: the entry is fixed (the build's sources were checked)
    base = tmp_path / "base" / "deployment.yaml"
    base.write_text(
        base.read_text().replace("registry.example.com/web", "registry.example.com/web:1.4.2")
    )
    data = report("--kustomize", "overlays/prod", "--baseline", "b.json")
    assert (data["summary"]["baselined"], data["summary"]["fixedBaselineEntries"]) == (0, 1)


# -- unused-suppression on repository layouts ---------------------------------------------------


def test_suppressions_in_skipped_files_are_not_judged(layout: Path) -> None:
    """Comments in files kpolicy does not lint (values, chart templates, kustomizations, CI
    files) suppress nothing kpolicy could report there: they are not called unused."""
    comment = "# kpolicy: ignore[run-as-root] -- chart default\n"
    for name in (
        "charts/web/values.yaml",
        "charts/web/templates/deployment.yaml",
        "deploy/kustomization.yaml",
        ".github/workflows/ci.yaml",
    ):
        path = layout / name
        path.write_text(comment + path.read_text())
    data = report(".")
    assert [d["rule"] for d in data["diagnostics"]] == [
        "helm-chart-not-rendered",
        "selector-mismatch",
    ]
    named = report("charts/web/values.yaml", "deploy/kustomization.yaml")
    assert named["diagnostics"] == []


def test_a_comment_in_chart_yaml_suppresses_the_chart_finding_with_its_reason(
    layout: Path,
) -> None:
    chart = layout / "charts" / "web" / "Chart.yaml"
    chart.write_text(
        chart.read_text().replace(
            "name: web\n",
            "name: web  # kpolicy: ignore[helm-chart-not-rendered] -- rendered in CI\n",
        )
    )
    data = report(".", "--show-suppressed")
    assert [d["rule"] for d in data["diagnostics"]] == ["selector-mismatch"]
    (hidden,) = data["suppressed"]
    assert (hidden["rule"], hidden["suppressedBy"], hidden["justification"]) == (
        "helm-chart-not-rendered",
        "comment",
        "rendered in CI",
    )


def test_a_comment_on_the_staged_file_that_hides_a_context_finding_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    ignore = "  # kpolicy: ignore[statefulset-service-not-headless] -- migrating"
    write(
        tmp_path,
        {
            "db.yaml": STATEFULSET,
            "svc.yaml": SERVICE.replace("clusterIP: None", "clusterIP: 10.0.0.9" + ignore),
        },
    )
    staged = report("svc.yaml", "--context", ".", "--show-suppressed")
    assert staged["diagnostics"] == []
    (hidden,) = staged["suppressed"]
    assert (hidden["rule"], hidden["file"], hidden["justification"]) == (
        "statefulset-service-not-headless",
        "svc.yaml",
        "migrating",
    )
    # linted on its own the comment hides nothing there (the finding is on the StatefulSet)
    alone = report(".")
    assert sorted(d["rule"] for d in alone["diagnostics"]) == [
        "statefulset-service-not-headless",
        UNUSED,
    ]


def test_warnings_of_the_config_and_of_the_walk_are_both_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(kpolicy.dates, "today", lambda: datetime.date(2031, 1, 1))
    (tmp_path / ".kpolicy.yaml").write_text(
        "exemptions:\n  - rules: [host-namespaces]\n    until: 2030-06-30\n"
    )
    (tmp_path / "values.yaml").write_text("replicas: 2\n")
    code, _, err = lint(".")
    assert code == 0
    assert "expired on 2030-06-30" in err
    assert "kpolicy: warning: no Kubernetes manifests found in ." in err
    assert len(report(".")["warnings"]) == 2


def test_the_baseline_is_never_linted_as_a_manifest(layout: Path) -> None:
    """The baseline at the root of the repository is kpolicy's own file: skipped as such when
    a folder walk or pre-commit names it, whatever its size (a large repository's baseline is
    larger than a manifest may be), also while --write-baseline replaces it."""
    assert lint(".", "--write-baseline", "kpolicy-baseline.json")[0] == 0
    size = (layout / "kpolicy-baseline.json").stat().st_size
    limit = str(size - 1)  # every manifest here is smaller than the baseline
    assert all(p.stat().st_size < size for p in (layout / "deploy").iterdir())
    code, _, err = lint(".", "--max-file-size", limit, "--write-baseline", "kpolicy-baseline.json")
    assert code == 0, err
    (layout / ".kpolicy.yaml").write_text("baseline: kpolicy-baseline.json\n")
    data = report(".", "--max-file-size", limit, "--show-skipped")
    assert data["summary"]["baselined"] == 2 and "errors" not in data
    assert {
        "file": "kpolicy-baseline.json",
        "reason": "kpolicy baseline",
        "group": "not Kubernetes manifests",
    } in data["skipped"]
    # named by pre-commit (types json), with the repository as context
    data = report("kpolicy-baseline.json", "--context", ".", "--max-file-size", limit)
    assert data["summary"]["files"] == 0 and "errors" not in data
