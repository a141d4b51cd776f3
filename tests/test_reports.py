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
                        tool_version="0.0.0-test")
    writers()[fmt](result, ctx, out)
    return out.getvalue()


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
