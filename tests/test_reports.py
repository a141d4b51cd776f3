"""Report formats: golden files, and every JSON/SARIF log validated against its schema."""

from __future__ import annotations

import io
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import jsonschema
import pytest

from kpolicy import __version__
from kpolicy.model import CheckedFile, Diagnostic, LintResult, ObjectRef, Severity, Span, Summary
from kpolicy.report import FORMATS, ReportContext, fingerprint, writers
from kpolicy.ruledefs import builtin_rules
from tests.conftest import ROOT, check_golden, load_sarif_schema
from tests.helpers import cli, lint_paths

GOLDEN = Path(__file__).parent / "golden"
STABLE_RULES = [
    "selector-missing",
    "selector-mismatch",
    "yaml-syntax",
    "yaml-duplicate-key",
    "manifest-invalid",
    "statefulset-service-not-found",
]


def _render(fmt: str) -> str:
    result = lint_paths(["input.yaml"], GOLDEN, select=STABLE_RULES, use_config_discovery=False)
    out = io.StringIO()
    ctx = ReportContext(
        rules={k: v for k, v in builtin_rules().items() if k in STABLE_RULES},
        tool_version="0.0.0-test",
        cwd=str(GOLDEN),
        source_root=str(GOLDEN),
    )
    writers()[fmt](result, ctx, out)
    # SARIF names the folder its URIs are relative to: the same golden file on every machine
    return out.getvalue().replace(GOLDEN.as_uri() + "/", "file:///golden/")


@pytest.mark.parametrize("fmt", FORMATS)
def test_golden(fmt: str, update_golden: bool) -> None:
    text = _render(fmt)
    golden = GOLDEN / f"report.{fmt}"
    check_golden(golden, text, update_golden)


def test_text_lines() -> None:
    lines = _render("text").splitlines()
    assert lines[0].startswith("input.yaml:7:3: error[selector-mismatch] selector app=web")
    assert lines[-1].startswith("4 errors, 1 warning, 0 infos in 1 file")


def test_json_validates() -> None:
    report = json.loads(_render("json"))
    jsonschema.validate(report, json.loads((ROOT / "schemas" / "report.schema.json").read_text()))
    rules = [d["rule"] for d in report["diagnostics"]]
    assert rules == [
        "selector-mismatch",
        "yaml-duplicate-key",
        "selector-missing",
        "statefulset-service-not-found",
        "yaml-syntax",
    ]


@pytest.fixture(scope="module")
def sarif_schema() -> dict[str, Any]:
    return load_sarif_schema()


def test_sarif_validates_and_has_what_code_scanning_needs(sarif_schema: dict[str, Any]) -> None:
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
    assert (
        first["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "Deployment/shop/web"
    )
    assert first["relatedLocations"][0]["physicalLocation"]["region"]["startLine"] == 11
    assert first["partialFingerprints"]["kpolicyFingerprint/v1"]


def test_fingerprints_survive_moved_lines(tmp_path: Path) -> None:
    text = (GOLDEN / "input.yaml").read_text()
    (tmp_path / "a.yaml").write_text(text)
    before = lint_paths(
        ["a.yaml"], tmp_path, select=["selector-mismatch"], use_config_discovery=False
    )
    (tmp_path / "a.yaml").write_text("# a new comment\n# and another\n" + text)
    after = lint_paths(
        ["a.yaml"], tmp_path, select=["selector-mismatch"], use_config_discovery=False
    )
    assert before.diagnostics[0].span.line + 2 == after.diagnostics[0].span.line
    assert fingerprint(before.diagnostics[0]) == fingerprint(after.diagnostics[0])


def _sarif_cli(*args: str, cwd: Path) -> dict[str, Any]:
    out = cli("lint", "--no-cache", "-f", "sarif", *args, cwd=cwd)
    assert out.returncode in (0, 1), out.stderr
    log: dict[str, Any] = json.loads(out.stdout)
    return log


def _uris_and_prints(log: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["partialFingerprints"]["kpolicyFingerprint/v1"],
        )
        for r in log["runs"][0]["results"]
    ]


def test_sarif_uris_are_relative_to_the_repository_root_from_any_folder(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "deploy" / "apps").mkdir(parents=True)
    (repo / ".git").mkdir()  # found by looking, never by running git
    (repo / "deploy" / "apps" / "a.yaml").write_text((GOLDEN / "input.yaml").read_text())
    expected = "deploy/apps/a.yaml"
    runs = [
        _sarif_cli(".", cwd=repo),
        _sarif_cli("apps", cwd=repo / "deploy"),
        _sarif_cli("a.yaml", cwd=repo / "deploy" / "apps"),
        _sarif_cli(str(repo / "deploy"), cwd=tmp_path),
    ]
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
    assert (
        log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        == (tmp_path / "work").as_uri() + "/"
    )


def test_fingerprints_differ_for_different_findings() -> None:
    from dataclasses import replace

    from kpolicy.model import ObjectRef, RelatedLocation
    from kpolicy.report.sarif import to_sarif

    result = lint_paths(
        ["input.yaml"], GOLDEN, select=["selector-mismatch"], use_config_discovery=False
    )
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
    ctx = ReportContext(
        rules=builtin_rules(), tool_version="0", cwd=str(GOLDEN), source_root=str(GOLDEN)
    )
    prints = [
        r["partialFingerprints"]["kpolicyFingerprint/v1"]
        for r in to_sarif(twice, ctx)["runs"][0]["results"]
    ]
    assert prints[1] == prints[0] + ":2"
    # a finding on no object: its message without the line numbers in it
    loose = replace(first, object=None, message="duplicate key 'app' (first at line 11)")
    assert fingerprint(loose) == fingerprint(
        replace(loose, message=loose.message.replace("11", "14"))
    )
    assert fingerprint(loose) != fingerprint(
        replace(loose, message="duplicate key 'tier' (first at line 11)")
    )


def test_cli_sarif_for_every_builtin_rule_validates(sarif_schema: dict[str, Any]) -> None:
    result = lint_paths(["input.yaml"], GOLDEN, use_config_discovery=False)
    out = io.StringIO()
    writers()["sarif"](result, ReportContext(rules=builtin_rules(), tool_version=__version__), out)
    jsonschema.validate(json.loads(out.getvalue()), sarif_schema)


@pytest.mark.parametrize(
    "value",
    [
        {},
        [],
        {"a": [], "b": {}, "c": [{"x": 1}, {"y": [1, 2, {"z": None}]}], "d": 'é\u2028"\\'},
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


# -- JUnit, checkstyle and GitLab Code Quality ------------------------------------------------

FORMATS_DIR = Path(__file__).parent / "formats"
TWO_FILES_BAD = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: web, image: nginx:1.27}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80}]
"""
TWO_FILES_GOOD = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {a: b}
"""


@pytest.fixture(scope="module")
def xml_schemas() -> dict[str, Any]:
    xmlschema = pytest.importorskip("xmlschema")
    return {
        name: xmlschema.XMLSchema(str(FORMATS_DIR / f"{name}.xsd"))
        for name in ("junit", "checkstyle")
    }


def _render_result(fmt: str, result: LintResult) -> str:
    out = io.StringIO()
    writers()[fmt](result, ReportContext(rules=builtin_rules(), tool_version="0.0.0-test"), out)
    return out.getvalue()


def _two_files(tmp_path: Path) -> LintResult:
    (tmp_path / "app.yaml").write_text(TWO_FILES_BAD)
    (tmp_path / "settings.yaml").write_text(TWO_FILES_GOOD)
    return lint_paths(
        ["app.yaml", "settings.yaml"],
        tmp_path,
        select=["selector-mismatch"],
        use_config_discovery=False,
    )


def test_junit_validates_one_suite_per_file_one_case_per_object(
    xml_schemas: dict[str, Any], tmp_path: Path
) -> None:
    golden = _render("junit")
    xml_schemas["junit"].validate(golden)
    text = _render_result("junit", _two_files(tmp_path))
    xml_schemas["junit"].validate(text)
    root = ElementTree.fromstring(text)
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("5", "1", "0")
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert list(suites) == ["app.yaml", "settings.yaml"]
    app = suites["app.yaml"]
    assert (app.get("tests"), app.get("failures"), app.get("file")) == ("3", "1", "app.yaml")
    cases = {c.get("name"): c for c in app.iter("testcase")}
    assert list(cases) == ["(file)", "Deployment shop/web", "Service shop/web"]
    failures = cases["Deployment shop/web"].findall("failure")
    assert [f.get("type") for f in failures] == ["selector-mismatch"]
    assert failures[0].get("message", "").startswith("error: selector app=web does not match")
    # GitLab shows the text of a failure: it has the place, the rule and the documentation
    body = failures[0].text or ""
    assert body.startswith("app.yaml:5:3: error[selector-mismatch] selector app=web")
    assert body.endswith("docs/rules.md#selector-mismatch")
    assert not cases["Service shop/web"].findall("failure")
    assert [c.get("name") for c in suites["settings.yaml"].iter("testcase")] == [
        "(file)",
        "ConfigMap shop/settings",
    ]
    assert suites["settings.yaml"].get("failures") == "0"


def test_junit_failure_per_finding_and_io_errors(xml_schemas: dict[str, Any]) -> None:
    root = ElementTree.fromstring(_render("junit"))
    failures = [
        (c.get("name"), f.get("type")) for c in root.iter("testcase") for f in c.findall("failure")
    ]
    assert failures == [
        ("(file)", "yaml-duplicate-key"),
        ("(file)", "yaml-syntax"),
        ("Deployment shop/web", "selector-mismatch"),
        ("StatefulSet shop/db", "selector-missing"),
        ("StatefulSet shop/db", "statefulset-service-not-found"),
    ]
    result = lint_paths(["input.yaml"], GOLDEN, select=STABLE_RULES, use_config_discovery=False)
    broken = replace(result, errors=("missing.yaml: no such file or directory",))
    text = _render_result("junit", broken)
    xml_schemas["junit"].validate(text)
    root = ElementTree.fromstring(text)
    assert root.get("errors") == "1"
    suite = next(s for s in root.iter("testsuite") if s.get("name") == "(errors)")
    error = suite.find("testcase/error")
    assert error is not None and error.text == "missing.yaml: no such file or directory"


def test_checkstyle_validates_and_lists_clean_files(
    xml_schemas: dict[str, Any], tmp_path: Path
) -> None:
    xml_schemas["checkstyle"].validate(_render("checkstyle"))
    text = _render_result("checkstyle", _two_files(tmp_path))
    xml_schemas["checkstyle"].validate(text)
    root = ElementTree.fromstring(text)
    files = {f.get("name"): f.findall("error") for f in root.iter("file")}
    assert list(files) == ["app.yaml", "settings.yaml"] and files["settings.yaml"] == []
    (error,) = files["app.yaml"]
    assert error.attrib == {
        "line": "5",
        "column": "3",
        "severity": "error",
        "message": "selector app=web does not match template labels app=api; the API server "
        "rejects this (Deployment shop/web)",
        "source": "kpolicy.rules.selector-mismatch",
    }


@pytest.fixture(scope="module")
def gitlab_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(
        (FORMATS_DIR / "gitlab-codequality.schema.json").read_text()
    )
    return schema


def test_gitlab_validates_and_maps_severities(gitlab_schema: dict[str, Any]) -> None:
    issues = json.loads(_render("gitlab"))
    jsonschema.validate(issues, gitlab_schema)
    assert [(i["check_name"], i["severity"], i["location"]["lines"]["begin"]) for i in issues] == [
        ("selector-mismatch", "critical", 7),
        ("yaml-duplicate-key", "critical", 11),
        ("selector-missing", "critical", 22),
        ("statefulset-service-not-found", "major", 23),
        ("yaml-syntax", "critical", 32),
    ]
    hostile = _hostile_result()
    info = replace(hostile, diagnostics=(replace(hostile.diagnostics[0], severity=Severity.INFO),))
    assert json.loads(_render_result("gitlab", info))[0]["severity"] == "info"
    assert issues[0]["location"]["path"] == "input.yaml"
    assert issues[0]["description"].endswith("(Deployment shop/web)")
    assert issues[0]["fingerprint"] == fingerprint(
        lint_paths(
            ["input.yaml"], GOLDEN, select=STABLE_RULES, use_config_discovery=False
        ).diagnostics[0]
    )


def test_gitlab_fingerprints_are_unique_and_survive_moved_lines(
    gitlab_schema: dict[str, Any], tmp_path: Path
) -> None:
    """GitLab shows only the first issue of a fingerprint: two findings of one rule at one
    path of one object (here two documents with the same name) still get two."""
    twice = TWO_FILES_BAD.split("---")[0] + "---\n" + TWO_FILES_BAD.split("---")[0]
    (tmp_path / "a.yaml").write_text(twice)
    (tmp_path).joinpath("sub").mkdir()
    (tmp_path / "sub" / "b.yaml").write_text(TWO_FILES_BAD)

    def issues() -> list[dict[str, Any]]:
        result = lint_paths(
            ["a.yaml", "./sub/b.yaml"],
            tmp_path,
            select=["selector-mismatch"],
            use_config_discovery=False,
        )
        found: list[dict[str, Any]] = json.loads(_render_result("gitlab", result))
        jsonschema.validate(found, gitlab_schema)
        return found

    before = issues()
    # "./sub/b.yaml" as given sorts first; GitLab gets the path without "./"
    assert [i["location"]["path"] for i in before] == ["sub/b.yaml", "a.yaml", "a.yaml"]
    prints = [i["fingerprint"] for i in before]
    assert len(set(prints)) == 3
    (tmp_path / "a.yaml").write_text("# moved\n# down\n" + twice)
    after = issues()
    assert [i["location"]["lines"]["begin"] for i in after] == [
        i["location"]["lines"]["begin"] + 2
        if i["location"]["path"] == "a.yaml"
        else i["location"]["lines"]["begin"]
        for i in before
    ]
    assert [i["fingerprint"] for i in after] == prints


HOSTILE = "a\x00b\x1bc\x7f\u202ed\u2066e]]>&<\"'\tf\ng\rh\udcff\ufffe\U0001f600é"


def _hostile_result() -> LintResult:
    ref = ObjectRef("v1", "ConfigMap", HOSTILE, HOSTILE)
    diag = Diagnostic(
        rule="selector-mismatch",
        severity=Severity.ERROR,
        message=HOSTILE,
        file=f"dir/{HOSTILE}.yaml",
        span=Span(3, 2, 3, 9),
        path="/metadata/name",
        object=ref,
    )
    return LintResult(
        diagnostics=(diag,),
        suppressed=(),
        summary=Summary(1, 1, 1, 1, 0, 0, 0),
        kubernetes_version="1.37",
        checked=(CheckedFile(diag.file, (ref,)),),
    )


@pytest.mark.parametrize("fmt", ["junit", "checkstyle"])
def test_xml_reports_hold_any_text(fmt: str, xml_schemas: dict[str, Any]) -> None:
    """Names, messages and file names from a manifest cannot break the XML, hide text or reorder
    it: the document parses, is ASCII, and shows what XML cannot hold as escapes."""
    text = _render_result(fmt, _hostile_result())
    assert text.isascii()
    xml_schemas[fmt].validate(text)
    root = ElementTree.fromstring(text)
    # tab and line breaks too: a line break from the input cannot fake a line of the report;
    # the surrogate-escaped byte of a non-UTF-8 file name is shown as that byte; U+FFFE, which
    # XML cannot hold, is the replacement character
    shown = "a\\x00b\\x1bc\\x7f\\u202ed\\u2066e]]>&<\"'\\x09f\\x0ag\\x0dh\\xff\ufffd\U0001f600é"
    values = [v for e in root.iter() for v in (*e.attrib.values(), e.text or "")]
    assert any(shown in v for v in values), values
    assert not any(c in v for v in values for c in "\x00\x1b\x7f\u202e\u2066\udcff\r")
    if fmt == "junit":  # the failure's text: the finding, then its rule's documentation
        (failure,) = root.iter("failure")
        assert (failure.text or "").count("\n") == 1


def test_xml_reports_from_a_real_manifest_with_escapes(
    xml_schemas: dict[str, Any], tmp_path: Path
) -> None:
    manifest = TWO_FILES_BAD.replace(
        "name: web, namespace: shop", 'name: "w\\x01e\\u202eb<&>", namespace: shop', 1
    )
    (tmp_path / "app.yaml").write_text(manifest)
    result = lint_paths(
        ["app.yaml"], tmp_path, select=["selector-mismatch"], use_config_discovery=False
    )
    assert result.diagnostics
    for fmt in ("junit", "checkstyle"):
        text = _render_result(fmt, result)
        xml_schemas[fmt].validate(text)
        root = ElementTree.fromstring(text)
        values = [v for e in root.iter() for v in (*e.attrib.values(), e.text or "")]
        assert any("w\\x01e\\u202eb<&>" in v for v in values), values


def _hidden_findings(tmp_path: Path) -> LintResult:
    """app.yaml: a finding suppressed by a comment; old.yaml: one listed in the baseline;
    settings.yaml: clean."""
    from kpolicy.baseline import write_baseline

    (tmp_path / "app.yaml").write_text(
        TWO_FILES_BAD.replace(
            "  selector: {matchLabels: {app: web}}",
            "  selector: {matchLabels: {app: web}}  # kpolicy: ignore[selector-mismatch] -- moving",
        )
    )
    (tmp_path / "settings.yaml").write_text(TWO_FILES_GOOD)
    (tmp_path / "old.yaml").write_text(TWO_FILES_BAD.split("---")[0])
    old = lint_paths(
        ["old.yaml"], tmp_path, select=["selector-mismatch"], use_config_discovery=False
    )
    write_baseline(tmp_path / "b.json", old.diagnostics, tmp_path)
    return lint_paths(
        ["app.yaml", "settings.yaml", "old.yaml"],
        tmp_path,
        select=["selector-mismatch"],
        use_config_discovery=False,
        baseline=Path("b.json"),
    )


def test_junit_counts_suppressed_and_baselined_findings_per_suite(
    xml_schemas: dict[str, Any], tmp_path: Path
) -> None:
    result = _hidden_findings(tmp_path)
    assert (len(result.suppressed), len(result.baselined), result.diagnostics) == (1, 1, ())
    text = _render_result("junit", result)
    xml_schemas["junit"].validate(text)
    root = ElementTree.fromstring(text)
    assert root.get("failures") == "0"
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    properties = {
        name: {p.get("name"): p.get("value") for p in suite.iter("property")}
        for name, suite in suites.items()
    }
    assert properties == {
        "app.yaml": {"kpolicy.suppressed": "1"},
        "settings.yaml": {},
        "old.yaml": {"kpolicy.baselined": "1"},
    }
    # the properties come before the test cases, and nothing else changes
    assert [child.tag for child in suites["app.yaml"]] == ["properties", *["testcase"] * 3]
    assert suites["old.yaml"].get("failures") == "0" and suites["old.yaml"].get("tests") == "2"


@pytest.mark.parametrize("fmt", ["checkstyle", "gitlab"])
def test_suppressed_and_baselined_findings_stay_out_of_checkstyle_and_gitlab(
    fmt: str, tmp_path: Path
) -> None:
    result = _hidden_findings(tmp_path)
    out = io.StringIO()
    ctx = ReportContext(rules=builtin_rules(), tool_version="0.0.0-test", show_suppressed=True)
    writers()[fmt](result, ctx, out)
    if fmt == "gitlab":
        assert json.loads(out.getvalue()) == []
    else:
        root = ElementTree.fromstring(out.getvalue())
        assert [f.get("name") for f in root.iter("file")] == [
            "app.yaml",
            "settings.yaml",
            "old.yaml",
        ]
        assert not list(root.iter("error"))
    # without the suppression and the baseline, both findings are there
    shown = replace(
        result, diagnostics=(*result.suppressed, *result.baselined), suppressed=(), baselined=()
    )
    out = io.StringIO()
    writers()[fmt](shown, ctx, out)
    assert out.getvalue().count("selector-mismatch") == 2


def test_json_findings_written_directly_are_the_general_encoding() -> None:
    """The JSON report writes a finding's line directly; it is the line the general layout
    writes for the finding's dict, whatever the texts hold, with or without an object or an
    origin, and for a shared object as for its own."""
    from kpolicy.model import Origin
    from kpolicy.report import write_json_lines
    from kpolicy.report.json_report import to_json

    base = _hostile_result()
    (diag,) = base.diagnostics
    variants = [
        diag,
        replace(diag, object=None),
        replace(diag, object=ObjectRef(None, "Pod", None, "p")),
        replace(diag, message="plain message", file="a.yaml", path=""),
        replace(diag, origin=Origin(f"t/{HOSTILE}.yaml", 4, "local.yaml")),
        replace(diag, span=Span(10**6, 1, 10**6, 2)),
        diag,
        # the same rule with another severity, the same object in another file, the same
        # file with an equal object, a rule id to escape
        replace(diag, severity=Severity.WARNING),
        replace(diag, file="other.yaml"),
        replace(diag, object=ObjectRef("v1", "ConfigMap", HOSTILE, HOSTILE)),
        replace(diag, rule=f"rule-{HOSTILE}"),
        # a path that is a message's text (a message is escaped as the text format shows it)
        replace(diag, path=HOSTILE),
        replace(diag, message="/metadata/name"),
        # values of other types than a span's ints and the texts' strs: written the general way
        replace(diag, span=Span(True, 1, 1, 2)),
        replace(diag, span=Span(1, 2, 3, 4.0)),  # type: ignore[arg-type]
        replace(diag, path=None),  # type: ignore[arg-type]
        # a file that is not a str after one that is, on the same object (the file's class is
        # read where it changes)
        replace(diag, message="plain message", file="a.yaml"),
        replace(diag, message="plain message", file=Path("a.yaml")),  # type: ignore[arg-type]
        replace(diag, message="plain message", file="a.yaml"),
        diag,
    ]
    result = replace(base, diagnostics=tuple(variants))
    ctx = ReportContext(rules=builtin_rules(), tool_version=__version__)
    general, direct = io.StringIO(), io.StringIO()
    write_json_lines(to_json(result, ctx), general, expand=2)
    write_json_lines(to_json(result, ctx, encoded=True), direct, expand=2)
    assert direct.getvalue() == general.getvalue()
    assert len(json.loads(direct.getvalue())["diagnostics"]) == len(variants)


def test_json_findings_of_one_rule_and_object_reuse_their_texts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A finding's line reuses the text before its message (per rule and severity), its
    file's and object's texts (from the finding before it), and its message's and path's
    (per text): made once for a run of them (the C loop, where it is built, makes a plain
    path's itself: kept as the Python loop keeps it)."""
    from kpolicy.report import json_report
    from kpolicy.report.json_report import _Lines

    made: list[str] = []
    for name in ("_head", "_file", "_object", "_message", "_path"):
        made_by = getattr(_Lines, name)

        def counted(self: Any, *args: Any, _name: str = name, _made: Any = made_by) -> Any:
            made.append(_name)
            return _made(self, *args)

        monkeypatch.setattr(_Lines, name, counted)
    (diag,) = _hostile_result().diagnostics
    line = _Lines()
    diags = [replace(diag, span=Span(n, 1, n, 2)) for n in range(1, 6)]
    texts = [line._lines([d])[0] for d in diags]
    assert sorted(made) == ["_file", "_head", "_message", "_object", "_path"]
    assert len({text.split('"line": ')[0] for text in texts}) == 1
    if json_report._c_lines() is None:
        return
    made.clear()
    in_c = _Lines()
    assert [in_c(d) for d in diags] == texts
    assert sorted(made) == ["_file", "_head", "_message", "_object"]
    assert in_c._paths == line._paths == {diag.path: f'"{diag.path}"'}


def test_json_findings_of_one_file_reuse_its_text_across_objects(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The findings of another object of the same file (the file's very str) reuse the
    file's text of the finding before: ``_file`` is asked once for a run of them, by the
    Python loop and the C loop alike, and the lines are the general encoding's."""
    from kpolicy.report import json_encoder, json_report
    from kpolicy.report.json_report import _diagnostic, _Lines

    asked: list[str] = []
    made_by = _Lines._file

    def counted(self: Any, file: str) -> str:
        asked.append(file)
        return made_by(self, file)

    monkeypatch.setattr(_Lines, "_file", counted)
    (diag,) = _hostile_result().diagnostics
    refs = [ObjectRef("v1", "Pod", "ns", f"p{n}") for n in range(4)]
    other = "other.yaml"
    diags = [replace(diag, object=ref) for ref in refs]
    diags += [replace(diag, object=refs[0], file=other), replace(diag, object=refs[1], file=other)]
    general = json_encoder()
    expected = [general(_diagnostic(d)) for d in diags]
    assert _Lines()._lines(diags) == expected
    assert asked == [diag.file, other]
    if json_report._c_lines() is None:
        return
    asked.clear()
    assert _Lines().lines(diags) == expected
    assert asked == [diag.file, other]


def test_json_findings_encoded_a_slice_at_a_time_are_the_general_encoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The findings' lines are encoded and joined a slice at a time: across slices (and at
    any depth: the one-line layout too) the text is the general layout's."""
    from kpolicy.report import EncodedLines, write_json_lines
    from kpolicy.report.json_report import to_json

    monkeypatch.setattr(EncodedLines, "SLICE", 3)
    base = _hostile_result()
    (diag,) = base.diagnostics
    many = tuple(replace(diag, span=Span(line, 1, line, 2)) for line in range(1, 12))
    result = replace(base, diagnostics=many)
    ctx = ReportContext(rules=builtin_rules(), tool_version=__version__)
    for expand in (1, 2):
        general, direct = io.StringIO(), io.StringIO()
        write_json_lines(to_json(result, ctx), general, expand=expand)
        write_json_lines(to_json(result, ctx, encoded=True), direct, expand=expand)
        assert direct.getvalue() == general.getvalue()
    lines = [line["line"] for line in json.loads(direct.getvalue())["diagnostics"]]
    assert lines == list(range(1, 12))


def test_json_plain_messages_are_written_as_they_are(monkeypatch: pytest.MonkeyPatch) -> None:
    """A message that JSON writes as it is (printable ASCII, no quote, no backslash: nearly
    every one) is put between quotes, told so without its JSON; any other (each character
    that JSON or the text format escapes) is encoded the general way."""
    from kpolicy import escape
    from kpolicy.report import json_encoder, json_report

    (diag,) = _hostile_result().diagnostics
    plain = "image 'nginx' has no tag: ~!#$%&()*+,-./:;<=>?@[]^_`{|} 0123456789 aZ"
    others = [
        'a "quote"',
        "a back\\slash",
        "a\ttab",
        "a\nline",
        "DEL \x7f",
        "\x1b[31m",
        "caf\u00e9",
    ]
    encoded: list[str] = []
    encode = json_report.encode_basestring_ascii  # type: ignore[attr-defined]

    def counted(text: str) -> str:
        encoded.append(text)
        return encode(text)

    monkeypatch.setattr(json_report, "encode_basestring_ascii", counted)
    variants = [replace(diag, message=message) for message in (plain, *others)]
    general = json_encoder()
    expected = [general(json_report._diagnostic(d)) for d in variants]
    encoded.clear()
    assert json_report._Lines().lines(variants) == expected
    assert plain not in encoded
    assert all(escape.text(message) in encoded for message in others)


class _NamedRef(ObjectRef):
    """An ObjectRef of another class (written the general way)."""


def test_json_objects_are_written_directly_as_the_encoder_writes_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A finding's object whose fields are each a str or None is written without the encoder
    (every one the loaders make), as the encoder writes it: quotes, backslashes, control and
    non-ASCII characters, null; any other (a field of another type, another class) through
    the encoder, as before."""
    from kpolicy.report import json_encoder, json_report

    (diag,) = _hostile_result().diagnostics
    general = json_encoder()
    direct = [
        ObjectRef("apps/v1", "Deployment", "prod", "web"),
        ObjectRef(None, None, None, None),
        ObjectRef("v1", "Pod", None, 'a "q" \\ \t\n\x7f caf\u00e9 \U0001f600'),
    ]
    general_only: list[Any] = [
        ObjectRef("v1", "Pod", None, 3),  # type: ignore[arg-type]
        ObjectRef("v1", True, "ns", "n"),  # type: ignore[arg-type]
        _NamedRef("v1", "Pod", "ns", "n"),
    ]
    for ref in direct:
        assert json_report._object_json(ref) == general(ref.to_json())
    for ref in general_only:
        assert json_report._object_json(ref) is None
    variants = [replace(diag, object=ref) for ref in (*direct, *general_only)]
    expected = [general(json_report._diagnostic(d)) for d in variants]
    encoded: list[object] = []

    def counted(value: object) -> str:
        encoded.append(value)
        return general(value)

    lines = json_report._Lines()
    monkeypatch.setattr(lines, "_encode", counted)
    assert lines.lines(variants) == expected
    # (the encoder wrote the objects of the last three only)
    assert encoded == [ref.to_json() for ref in general_only]


def test_json_findings_are_written_in_pieces_of_a_slice_led_by_their_separator() -> None:
    """The findings go to the stream a slice at a time, in pieces of a bounded size (each
    reuses the memory of the one before), the separator between two slices at the head of the
    next one rather than a piece of its own (a write of its own to an unbuffered stream)."""
    from kpolicy.report import EncodedLines
    from kpolicy.report.json_report import to_json

    base = _hostile_result()
    (diag,) = base.diagnostics
    count = 2 * EncodedLines.SLICE + 5
    many = tuple(replace(diag, span=Span(line, 1, line, 2)) for line in range(1, count + 1))
    ctx = ReportContext(rules=builtin_rules(), tool_version=__version__)
    lines = to_json(replace(base, diagnostics=many), ctx, encoded=True)["diagnostics"]
    assert EncodedLines.SLICE <= 256  # some 60 KiB of a usual report's lines a piece
    pieces = list(lines.joined(",\n    "))
    assert len(pieces) == 3
    assert [piece.startswith(",\n    ") for piece in pieces] == [False, True, True]
    texts = "".join(pieces).split(",\n    ")
    assert [json.loads(text)["line"] for text in texts] == list(range(1, count + 1))


def test_json_lines_the_workers_rendered_are_joined_as_they_are(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The lines the workers rendered are joined a slice at a time as they are: only a slice
    that holds a finding without its line renders anything (that finding), and the report is
    the general layout's."""
    from kpolicy.report import EncodedLines, json_report, write_json_lines
    from kpolicy.report.json_report import _Lines, to_json

    monkeypatch.setattr(EncodedLines, "SLICE", 3)
    base = _hostile_result()
    (diag,) = base.diagnostics
    many = tuple(replace(diag, span=Span(line, 1, line, 2)) for line in range(1, 12))
    given: list[str | Diagnostic] = list(_Lines().lines(many))
    given[7] = many[7]  # (a finding the parent made, in the third slice)
    rendered: list[int] = []
    completed: list[int] = []  # the slices given to be completed
    lines, complete = _Lines.lines, json_report._completed

    def counted(self: _Lines, diags: Any) -> list[str]:
        rendered.extend(d.span.line for d in diags)
        return lines(self, diags)

    def counted_slices(render: Any) -> Any:
        made = complete(render)

        def completing(part: Any) -> list[str]:
            completed.append(len(part))
            return made(part)

        return completing

    monkeypatch.setattr(_Lines, "lines", counted)
    monkeypatch.setattr(json_report, "_completed", counted_slices)
    result = replace(base, diagnostics=many, lines=(many, given))
    ctx = ReportContext(rules=builtin_rules(), tool_version=__version__)
    general, direct = io.StringIO(), io.StringIO()
    write_json_lines(to_json(result, ctx, encoded=True), direct, expand=2)
    assert rendered == [8]
    assert completed == [3]
    write_json_lines(to_json(result, ctx), general, expand=2)
    assert direct.getvalue() == general.getvalue()


def test_json_findings_numbers_and_messages_written_directly_are_the_general_encoding() -> None:
    """A line's numbers come from texts kept per number (grown as lines grow), and a
    message's JSON tells whether it needs the text format's escapes: lines and columns at
    and around the kept ones' bounds, negative ones, and messages with quotes, backslashes,
    control characters, DEL and non-ASCII text are written as the general layout writes
    them."""
    from kpolicy.report import write_json_lines
    from kpolicy.report.json_report import _NUMBERS, to_json

    base = _hostile_result()
    (diag,) = base.diagnostics
    spans = [
        Span(1, 1, 1, 2),
        Span(0, 0, 0, 0),
        Span(-1, 3, 4, 5),
        Span(3, -2, 4, 5),
        Span(200, 1, 127, 128),
        Span(129, 1, 300, 2),
        Span(_NUMBERS - 1, 1, _NUMBERS - 1, 2),
        Span(_NUMBERS, 1, _NUMBERS, 2),
        Span(7, 1, 7, _NUMBERS + 3),
        Span(2, 10**9, 2, 10**9 + 1),
        Span(5, 6, 7, 8),
    ]
    messages = [
        "plain message",
        'a "quoted" value',
        "a back\\slash",
        "a\ttab",
        "a DEL \x7f here",
        "an escape \x1b[31m",
        "caf\u00e9",
        "an override \u202e here",
        "a line\u2028separator",
        "",
        "plain message",
    ]
    variants = [replace(diag, span=span) for span in spans]
    variants += [replace(diag, message=message) for message in messages]
    result = replace(base, diagnostics=tuple(variants))
    ctx = ReportContext(rules=builtin_rules(), tool_version=__version__)
    general, direct = io.StringIO(), io.StringIO()
    write_json_lines(to_json(result, ctx), general, expand=2)
    write_json_lines(to_json(result, ctx, encoded=True), direct, expand=2)
    assert direct.getvalue() == general.getvalue()
    found = json.loads(direct.getvalue())["diagnostics"]
    assert [f["line"] for f in found[: len(spans)]] == [span.line for span in spans]


def test_json_finding_numbers_are_kept_texts_grown_a_few_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The Python loop keeps the texts of lines and columns from 0 up, grown at least twofold
    when a finding needs more: a file's findings, line after line, grow them a few times, and
    the line's numbers are those texts. The C loop (where it is built) writes each number's
    digits into its line and keeps no texts: the same lines, without a call of ``_more``."""
    from kpolicy.report import json_report
    from kpolicy.report.json_report import _Lines

    grown: list[int] = []
    made_by = _Lines._more

    def counted(self: Any, *args: int) -> Any:
        grown.append(max(args))
        return made_by(self, *args)

    monkeypatch.setattr(_Lines, "_more", counted)
    (diag,) = _hostile_result().diagnostics
    line = _Lines()
    diags = [replace(diag, span=Span(n, 3, n, 9)) for n in range(1, 2001)]
    texts = [line._lines([d])[0] for d in diags]
    assert 1 <= len(grown) <= 6
    assert [text.split('"line": ')[1].split(",")[0] for text in texts] == [
        str(n) for n in range(1, 2001)
    ]
    if json_report._c_lines() is None:
        return
    grown.clear()
    in_c = _Lines()
    assert [in_c(d) for d in diags] == texts
    assert _Lines().lines(diags) == texts
    assert grown == []
    assert in_c._numbers == []


def test_json_findings_rendered_a_slice_at_a_time_are_those_rendered_one_by_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The serial writer renders a slice of findings in one loop (``lines``): the lines are
    those the one-finding renderer (the workers') gives, for the usual findings and those
    written the general way, a file and object changing between them, numbers growing and
    messages and paths made again after their memos were emptied; and the writer takes that
    loop, not a call a finding."""
    from kpolicy.model import Origin
    from kpolicy.report import json_encoder, json_report, write_json_lines
    from kpolicy.report.json_report import finding_lines, to_json

    (diag,) = _hostile_result().diagnostics
    variants = [
        diag,
        replace(diag, span=Span(300, 2, 301, 9)),
        replace(diag, file="other.yaml"),
        replace(diag, object=None),
        replace(diag, origin=Origin("t.yaml", 4, None)),
        replace(diag, span=Span(True, 1, 1, 2)),
        replace(diag, span=Span(-3, 1, 1, 2)),
        replace(diag, span=Span(json_report._NUMBERS, 1, 1, 2)),
        replace(diag, severity=Severity.INFO),
        replace(diag, message="plain message", path="/spec"),
        replace(diag, message='"quoted"', path="/spec/a~1b"),
        diag,
    ]
    monkeypatch.setattr(json_report, "_KEPT", 2)
    # the general encoding of each, apart from the loop (the one-line layout of _diagnostic)
    general = json_encoder()
    expected = [general(json_report._diagnostic(d)) for d in variants]
    one = json_report._Lines()
    assert [one(d) for d in variants] == expected
    assert json_report._Lines().lines(variants) == expected
    # the workers' renderer: a run of findings in one call, as the writer's loop
    assert finding_lines()(variants) == expected
    # the writer's loop, not the one-finding renderer
    monkeypatch.setattr(json_report._Lines, "__call__", None)
    result = replace(_hostile_result(), diagnostics=tuple(variants))
    ctx = ReportContext(rules=builtin_rules(), tool_version=__version__)
    out = io.StringIO()
    write_json_lines(to_json(result, ctx, encoded=True), out, expand=2)
    assert [json.loads(line) for line in expected] == json.loads(out.getvalue())["diagnostics"]


def test_json_lines_are_the_general_encoding_of_any_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """Generated messages, paths and file names (quotes, backslashes, control characters,
    DEL, non-ASCII, lone surrogates, ASCII that JSON writes as it is): each finding's line,
    rendered directly (a message told plain without its JSON, a file's class read where it
    changes) and joined from the workers' lines with findings among them, is the general
    encoding's."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from kpolicy.report import EncodedLines, json_encoder
    from kpolicy.report.json_report import _completed, _diagnostic, _Lines

    (diag,) = _hostile_result().diagnostics
    texts = st.one_of(
        st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=12),
        st.text(st.sampled_from('a"\\\x00\x1f\x7f\x80é\u2028\udcff\U0001f600 '), max_size=8),
        st.text(max_size=8),
    )
    findings = st.lists(
        st.tuples(texts, texts, st.sampled_from(["a.yaml", "b/c.yaml", HOSTILE]), st.booleans()),
        min_size=1,
        max_size=12,
    )
    general = json_encoder()
    monkeypatch.setattr(EncodedLines, "SLICE", 3)  # (slices led by their separator)

    @settings(max_examples=300, deadline=None)
    @given(findings)
    def check(cases: list[tuple[str, str, str, bool]]) -> None:
        diags = [
            replace(diag, message=message, path=path, file=file) for message, path, file, _ in cases
        ]
        expected = [general(_diagnostic(d)) for d in diags]
        assert _Lines().lines(diags) == expected
        # the workers' lines, some findings left to the writer to render
        given_lines = [
            d if left else line for d, line, (*_, left) in zip(diags, expected, cases, strict=True)
        ]
        lines = EncodedLines(given_lines, _Lines(), _completed(_Lines().lines), texts=True)
        assert "".join(lines.joined(",")) == ",".join(expected)

    check()


class _Rule(str):
    """A rule id of another class than str (its line is written by the Python loop)."""


def test_json_lines_in_c_are_the_python_loops_with_the_same_calls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where the C extension is built, a slice's lines are written by its json_lines: the
    lines of the Python loop (``_Lines._lines``), with the same calls of the renderer's
    methods in the same order (a head, a file's and an object's texts, a path's) and the same
    messages kept, of which it makes the plain ones itself (``_message`` makes the others);
    the numbers it writes itself (without the Python loop's texts of them, ``_more``); the
    findings that are not of the usual types, or have no head, are left to the
    Python loop one by one (``_one``), and the rest are not."""
    from kpolicy.model import Origin
    from kpolicy.report import json_report

    if json_report._c_lines() is None:
        pytest.skip("the C extension is not built")
    (diag,) = _hostile_result().diagnostics
    usual = [
        diag,
        replace(diag, span=Span(300, 2, 301, 9)),
        replace(diag, file="other.yaml"),
        replace(diag, object=None),
        replace(diag, severity=Severity.INFO),
        replace(diag, message="plain message", path="/spec"),
        replace(diag, message='"quoted" caf\u00e9', path="/spec/a~1b"),
        replace(diag, message="wide \u2028 \U0001f600", path="/spec/\u00e9"),
        replace(diag, span=Span(json_report._NUMBERS, 1, 1, 2)),
        replace(diag, span=Span(2, 10**30, 2, 3)),
        replace(diag, span=Span(-3, 1, 1, 2)),
        replace(diag, span=Span(5, 6, 7, 8)),
        diag,
    ]
    unusual = [
        replace(diag, origin=Origin("t.yaml", 4, None)),
        replace(diag, span=Span(True, 1, 1, 2)),
        replace(diag, rule=_Rule(diag.rule)),
        replace(diag, rule=7),  # type: ignore[arg-type]
        replace(diag, file=Path("p.yaml")),  # type: ignore[arg-type]
        replace(diag, message=_Rule("m")),
    ]
    # (a severity's text, which Severity equals: a head of its own, written in C)
    usual.append(replace(diag, severity="error"))  # type: ignore[arg-type]
    variants = [*usual, *unusual, *usual[::-1], *unusual[::-1], *usual]
    calls: list[tuple[str, tuple[object, ...]]] = []
    for name in ("_head", "_file", "_object", "_message", "_path", "_more", "_one"):
        made_by = getattr(json_report._Lines, name)

        def counted(self: Any, *args: Any, _name: str = name, _made: Any = made_by) -> Any:
            calls.append((_name, args))
            return _made(self, *args)

        monkeypatch.setattr(json_report._Lines, name, counted)
    monkeypatch.setattr(json_report, "_KEPT", 3)  # (the memos emptied as they fill)
    python_lines: list[str] = []
    in_python = json_report._Lines()
    for start in range(0, len(variants), 5):
        python_lines += in_python._lines(variants[start : start + 5])
    python_calls = calls[:]
    calls.clear()
    c_lines: list[str] = []
    in_c = json_report._Lines()
    for start in range(0, len(variants), 5):
        c_lines += in_c.lines(variants[start : start + 5])
    assert c_lines == python_lines
    assert len(python_lines) == len(variants)
    left = [args[0] for name, args in calls if name == "_one"]
    assert all(any(d is u for u in unusual) for d in left)
    assert len(left) == 2 * len(unusual)
    # (_more: the Python loop's, and _one's for a finding left to it; _path: of a path JSON
    # does not write as it is)
    assert [c for c in calls if c[0] not in ("_one", "_message", "_more", "_path")] == [
        c for c in python_calls if c[0] not in ("_message", "_more", "_path")
    ]
    assert any(c[0] == "_more" for c in python_calls)
    assert in_c._messages == in_python._messages
    assert in_c._paths == in_python._paths
    assert {args[0] for name, args in calls if name == "_path"} == {"/spec/\u00e9"}
    encoded = {args[0] for name, args in calls if name == "_message"}
    assert encoded == {'"quoted" caf\u00e9', "wide \u2028 \U0001f600", diag.message}


_LIST_EMPTIED = """
import sys
from kpolicy.model import Diagnostic, ObjectRef, Severity, Span
from kpolicy.report import json_report

if json_report._c_lines() is None:
    print("no extension")
    sys.exit(0)
ref = ObjectRef("v1", "ConfigMap", "ns", "name")
findings = [
    Diagnostic("rule-" + str(n), Severity.ERROR, "message " + str(n) * 40, "f" + str(n) + ".yaml",
               Span(n, 1, n, 2), "/spec/" + str(n), ref)
    for n in range(3)
]
made = json_report._Lines._head

def head(self, rule, severity):  # a renderer's method that empties the list it renders
    findings.clear()
    return made(self, rule, severity)

json_report._Lines._head = head
lines = json_report._Lines().lines(findings)
print(len(lines), '"rule": "rule-0"' in lines[0], '"message 000' in lines[0])
try:
    json_report._c_lines()[0]([], json_report._Lines(), (1,) * 12, 3)
except TypeError as exc:
    print("refused:", exc)
"""


def test_the_c_json_lines_holds_the_finding_in_hand() -> None:
    """The C ``json_lines`` holds each finding while the renderer's own methods (Python) run
    with its fields: a method that empties the list being rendered freed the finding under
    it (a crash, shown by the debug allocator); the finding in hand is written and the loop
    ends with the list. Slots that are not member descriptors are refused before one is
    read as one. In a process of its own: without the hold the interpreter crashes."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _LIST_EMPTIED],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONMALLOC": "debug"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    if done.stdout.strip() == "no extension":
        pytest.skip("the C extension is not built (or KPOLICY_PURE_PYTHON is set)")
    assert done.stdout.splitlines() == [
        "1 True True",
        "refused: json_lines: slots of objects of one class",
    ]
