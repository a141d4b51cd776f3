"""Report formats: golden files, and every JSON/SARIF log validated against its schema."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest

from kpolicy import __version__
from kpolicy.report import FORMATS, ReportContext, writers
from kpolicy.report.sarif import fingerprint
from kpolicy.ruledefs import builtin_rules
from tests.conftest import ROOT, SARIF_SCHEMA
from tests.helpers import lint_paths

GOLDEN = Path(__file__).parent / "golden"
STABLE_RULES = ["selector-missing", "selector-mismatch", "yaml-syntax", "yaml-duplicate-key",
                "manifest-invalid", "statefulset-service-not-found"]


def _render(fmt: str) -> str:
    result = lint_paths(["input.yaml"], GOLDEN, select=STABLE_RULES, use_config_discovery=False)
    out = io.StringIO()
    ctx = ReportContext(rules={k: v for k, v in builtin_rules().items() if k in STABLE_RULES},
                        tool_version="0.0.0-test", cwd=str(GOLDEN), source_root=str(GOLDEN))
    writers()[fmt](result, ctx, out)
    # SARIF names the folder its URIs are relative to: the same golden file on every machine
    return out.getvalue().replace(GOLDEN.as_uri() + "/", "file:///golden/")


@pytest.mark.parametrize("fmt", FORMATS)
def test_golden(fmt: str, update_golden: bool) -> None:
    text = _render(fmt)
    golden = GOLDEN / f"report.{fmt}"
    if update_golden or not golden.exists():
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_text_lines() -> None:
    lines = _render("text").splitlines()
    assert lines[0].startswith("input.yaml:7:3: error[selector-mismatch] selector app=web")
    assert lines[-1].startswith("4 errors, 1 warning, 0 infos in 1 file")


def test_json_validates() -> None:
    report = json.loads(_render("json"))
    jsonschema.validate(report, json.loads((ROOT / "schemas" / "report.schema.json").read_text()))
    rules = [d["rule"] for d in report["diagnostics"]]
    assert rules == ["selector-mismatch", "yaml-duplicate-key", "selector-missing",
                     "statefulset-service-not-found", "yaml-syntax"]


@pytest.fixture(scope="module")
def sarif_schema() -> dict:
    if not SARIF_SCHEMA.is_file():
        pytest.skip("shared SARIF schema not present")
    return json.loads(SARIF_SCHEMA.read_text())


def test_sarif_validates_and_has_what_code_scanning_needs(sarif_schema: dict) -> None:
    log = json.loads(_render("sarif"))
    jsonschema.validate(log, sarif_schema)
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "kpolicy" and driver["informationUri"].startswith("https://")
    rule_ids = [r["id"] for r in driver["rules"]]
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"]
        assert rule["fullDescription"]["text"]
        assert rule["help"]["text"].endswith(".") and rule["help"]["markdown"]
        assert rule["helpUri"].endswith("#" + rule["id"])
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    first = run["results"][0]
    assert first["ruleId"] == "selector-mismatch"
    assert rule_ids[first["ruleIndex"]] == "selector-mismatch"
    assert first["level"] == "error"
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "input.yaml", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 7, "startColumn": 3, "endLine": 7, "endColumn": 11}
    assert first["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "Deployment/shop/web"
    assert first["relatedLocations"][0]["physicalLocation"]["region"]["startLine"] == 11
    assert first["partialFingerprints"]["kpolicyFingerprint/v1"]


def test_fingerprints_survive_moved_lines(tmp_path: Path) -> None:
    text = (GOLDEN / "input.yaml").read_text()
    (tmp_path / "a.yaml").write_text(text)
    before = lint_paths(["a.yaml"], tmp_path, select=["selector-mismatch"], use_config_discovery=False)
    (tmp_path / "a.yaml").write_text("# a new comment\n# and another\n" + text)
    after = lint_paths(["a.yaml"], tmp_path, select=["selector-mismatch"], use_config_discovery=False)
    assert before.diagnostics[0].span.line + 2 == after.diagnostics[0].span.line
    assert fingerprint(before.diagnostics[0]) == fingerprint(after.diagnostics[0])


def _sarif_cli(*args: str, cwd: Path) -> dict:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "kpolicy", "lint", "--no-cache", "-f", "sarif",
                          *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert out.returncode in (0, 1), out.stderr
    log: dict = json.loads(out.stdout)
    return log


def _uris_and_prints(log: dict) -> list[tuple[str, str]]:
    return [(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
             r["partialFingerprints"]["kpolicyFingerprint/v1"]) for r in log["runs"][0]["results"]]


def test_sarif_uris_are_relative_to_the_repository_root_from_any_folder(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "deploy" / "apps").mkdir(parents=True)
    (repo / ".git").mkdir()  # found by looking, never by running git
    (repo / "deploy" / "apps" / "a.yaml").write_text((GOLDEN / "input.yaml").read_text())
    expected = "deploy/apps/a.yaml"
    runs = [_sarif_cli(".", cwd=repo), _sarif_cli("apps", cwd=repo / "deploy"),
            _sarif_cli("a.yaml", cwd=repo / "deploy" / "apps"),
            _sarif_cli(str(repo / "deploy"), cwd=tmp_path)]
    found = [_uris_and_prints(log) for log in runs]
    assert found[0] and all(uri == expected for uri, _ in found[0])
    assert all(item == found[0] for item in found)  # the same URIs and fingerprints
    for log in runs:
        base = log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]
        assert base["uri"] == repo.as_uri() + "/"
        for result in log["runs"][0]["results"]:
            for location in (*result["locations"], *result.get("relatedLocations", ())):
                uri = location["physicalLocation"]["artifactLocation"]["uri"]
                assert not uri.startswith(("/", "file:")) and uri == expected


def test_sarif_uris_without_a_repository(tmp_path: Path) -> None:
    # no .git anywhere above: relative to the working folder; a file outside it still gets a
    # relative URI
    if any((parent / ".git").exists() for parent in tmp_path.parents):
        pytest.skip("the temporary folder is inside a git working tree")
    (tmp_path / "work").mkdir()
    (tmp_path / "other").mkdir()
    (tmp_path / "work" / "a.yaml").write_text((GOLDEN / "input.yaml").read_text())
    (tmp_path / "other" / "b.yaml").write_text((GOLDEN / "input.yaml").read_text())
    log = _sarif_cli("a.yaml", str(tmp_path / "other" / "b.yaml"), cwd=tmp_path / "work")
    uris = {uri for uri, _ in _uris_and_prints(log)}
    assert uris == {"a.yaml", "../other/b.yaml"}
    assert log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == \
        (tmp_path / "work").as_uri() + "/"


def test_fingerprints_differ_for_different_findings() -> None:
    from dataclasses import replace

    from kpolicy.model import ObjectRef, RelatedLocation
    from kpolicy.report.sarif import to_sarif

    result = lint_paths(["input.yaml"], GOLDEN, select=["selector-mismatch"],
                        use_config_discovery=False)
    first = result.diagnostics[0]
    other = ObjectRef("apps/v1", "Deployment", "shop", "api")
    related = RelatedLocation("input.yaml", first.span, "overlaps", other)
    # the same rule, file, pointer and object, paired with another object
    paired = replace(first, related=(related,))
    moved = replace(paired, span=replace(first.span, line=first.span.line + 5))
    assert fingerprint(paired) != fingerprint(first)
    assert fingerprint(moved) == fingerprint(paired)
    assert fingerprint(replace(first, path="/spec/template")) != fingerprint(first)
    assert fingerprint(replace(first, rule="selector-missing")) != fingerprint(first)
    # two findings that share all of it (two problems of one field) are numbered in order
    twice = replace(result, diagnostics=(first, replace(first, message="another problem")))
    ctx = ReportContext(rules=builtin_rules(), tool_version="0", cwd=str(GOLDEN),
                        source_root=str(GOLDEN))
    prints = [r["partialFingerprints"]["kpolicyFingerprint/v1"]
              for r in to_sarif(twice, ctx)["runs"][0]["results"]]
    assert prints[1] == prints[0] + ":2"
    # a finding on no object: its message without the line numbers in it
    loose = replace(first, object=None, message="duplicate key 'app' (first at line 11)")
    assert fingerprint(loose) == fingerprint(replace(loose, message=loose.message.replace(
        "11", "14")))
    assert fingerprint(loose) != fingerprint(replace(loose, message="duplicate key 'tier' "
                                                                    "(first at line 11)"))


def test_cli_sarif_for_every_builtin_rule_validates(sarif_schema: dict) -> None:
    result = lint_paths(["input.yaml"], GOLDEN, use_config_discovery=False)
    out = io.StringIO()
    writers()["sarif"](result, ReportContext(rules=builtin_rules(), tool_version=__version__), out)
    jsonschema.validate(json.loads(out.getvalue()), sarif_schema)


@pytest.mark.parametrize(
    "value",
    [
        {},
        [],
        {"a": [], "b": {}, "c": [{"x": 1}, {"y": [1, 2, {"z": None}]}], "d": "é\u2028\"\\"},
        [[1, [2, [3]]], {"k": {"deep": {"deeper": True}}}, 1.5, -0, "line\nbreak"],
        {"version": 1, "diagnostics": [{"rule": "r", "line": 3}] * 3, "summary": {"files": 1}},
    ],
)
@pytest.mark.parametrize("expand", [0, 1, 2, 5])
def test_json_lines_layout_is_the_same_document(value: object, expand: int) -> None:
    """The fast layout parses to exactly what it was given, and is laid out as promised: the
    outer levels one member per line, anything deeper on one line."""
    from kpolicy.report import write_json_lines

    out = io.StringIO()
    write_json_lines(value, out, expand=expand)
    text = out.getvalue()
    assert json.loads(text) == value
    assert text.endswith("\n") and text.isascii()
    if expand == 0:
        assert text.count("\n") == 1
    if expand == 2 and isinstance(value, dict) and "diagnostics" in value:
        lines = text.splitlines()
        assert lines.count('    {"rule": "r", "line": 3},') == 2
        assert '  "summary": {' in lines and '    "files": 1' in lines


def test_json_lines_lays_out_named_keys_at_any_depth() -> None:
    from kpolicy.report import write_json_lines

    value = {"a": {"b": {"rules": [{"id": 1}, {"id": 2}], "other": [1, 2]}}}
    out = io.StringIO()
    write_json_lines(value, out, expand=2, also=frozenset({"b", "rules"}))
    lines = out.getvalue().splitlines()
    assert json.loads(out.getvalue()) == value
    assert '        {"id": 1},' in lines and '      "other": [1, 2]' in lines
